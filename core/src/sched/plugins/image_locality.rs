//! ImageLocality (Score): prefer nodes that already hold the pod's images, weighted by how
//! widely each image is spread (upstream imagelocality plugin).

use crate::sched::framework::{
    CycleState, NodeInfo, Plugin, PodInfo, Point, Snapshot, Status, MAX_NODE_SCORE,
};

pub struct ImageLocality;

const MB: i64 = 1024 * 1024;
/// Upstream `minThreshold` (23 MiB) and `maxContainerThreshold` (1000 MiB per container).
const MIN_THRESHOLD: i64 = 23 * MB;
const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// Upstream `normalizedImageName`: an image without a tag or digest means `:latest`.
pub fn normalized_image_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') || name.contains('@') {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

/// Upstream `calculatePriority`.
fn calculate_priority(sum_scores: i64, num_containers: i64) -> i64 {
    let max_threshold = MAX_CONTAINER_THRESHOLD * num_containers;
    let s = sum_scores.clamp(MIN_THRESHOLD, max_threshold.max(MIN_THRESHOLD));
    if max_threshold <= MIN_THRESHOLD {
        return 0;
    }
    MAX_NODE_SCORE * (s - MIN_THRESHOLD) / (max_threshold - MIN_THRESHOLD)
}

impl Plugin for ImageLocality {
    fn name(&self) -> &'static str {
        "ImageLocality"
    }
    fn node_local(&self) -> bool {
        true
    }
    fn points(&self) -> &'static [Point] {
        &[Point::Score]
    }
    fn score(
        &self,
        _: &CycleState,
        pod: &PodInfo,
        node: &NodeInfo,
        snap: &Snapshot,
    ) -> Result<i64, Status> {
        let total_nodes = snap.nodes.len() as i64;
        let spec = &pod.pod.spec;
        let mut sum = 0i64;
        // A node without images scores no container (no name to normalize and compare).
        let has_images = !node.node.status.images.is_empty();
        for c in spec
            .init_containers
            .iter()
            .chain(spec.containers.iter())
            .filter(|_| has_images)
        {
            let want = normalized_image_name(&c.image);
            let Some(size) = node
                .node
                .status
                .images
                .iter()
                .find(|i| i.names.iter().any(|n| normalized_image_name(n) == want))
                .map(|i| i.size_bytes)
            else {
                continue;
            };
            let num_nodes = snap.image_nodes(&want) as f64;
            // scaledImageScore: size × (nodes holding it / all nodes), truncated, in f64 exactly
            // as upstream (IEEE arithmetic, identical on every target).
            sum += (size as f64 * (num_nodes / total_nodes as f64)) as i64;
        }
        Ok(calculate_priority(
            sum,
            (spec.init_containers.len() + spec.containers.len()) as i64,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_and_priority() {
        assert_eq!(normalized_image_name("nginx"), "nginx:latest");
        assert_eq!(normalized_image_name("nginx:1.25"), "nginx:1.25");
        assert_eq!(
            normalized_image_name("reg:5000/nginx"),
            "reg:5000/nginx:latest"
        );
        assert_eq!(normalized_image_name("nginx@sha256:ab"), "nginx@sha256:ab");
        // Upstream TestImageLocalityPriority: 40MB + 300MB image on one of two nodes... the
        // arithmetic of calculatePriority at its bounds:
        assert_eq!(calculate_priority(0, 1), 0);
        assert_eq!(calculate_priority(1000 * MB, 1), 100);
        assert_eq!(calculate_priority(2000 * MB, 1), 100);
        assert_eq!(
            calculate_priority(MIN_THRESHOLD + (1000 * MB - MIN_THRESHOLD) / 2, 1),
            50
        );
    }
}
