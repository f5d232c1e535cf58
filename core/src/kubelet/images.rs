//! Images: the pull policy decision and the names the kubelet uses (upstream
//! pkg/kubelet/images/image_manager.go `EnsureImageExists`, pkg/apis/core/v1/defaults.go for
//! the policy default).

/// Upstream's `imagePullPolicy` defaulting (`SetDefaults_Container`): `Always` for `:latest`
/// or untagged images, `IfNotPresent` otherwise; an explicit policy is kept.
pub fn pull_policy(image: &str, explicit: &str) -> &'static str {
    match explicit {
        "Always" => "Always",
        "Never" => "Never",
        "IfNotPresent" => "IfNotPresent",
        _ => {
            let name = image.rsplit('/').next().unwrap_or(image);
            let tagged = name.contains(':') || image.contains('@');
            if !tagged || image.ends_with(":latest") {
                "Always"
            } else {
                "IfNotPresent"
            }
        }
    }
}

/// Upstream `applyDefaultImageTag`: an image without tag or digest gets `:latest` (the name is
/// not otherwise normalised: `busybox` stays short).
pub fn with_default_tag(image: &str) -> String {
    let name = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') || name.contains(':') {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

/// Upstream `shouldPullImage`: pull when the policy says `Always`, or `IfNotPresent` and the
/// node does not have it; never under `Never`.
pub fn should_pull(policy: &str, present: bool) -> bool {
    match policy {
        "Always" => true,
        "Never" => false,
        _ => !present,
    }
}

/// Event messages of `EnsureImageExists`. With the KubeletEnsureSecretPulledImages gate (beta
/// and on by default in v1.35) a present image that needs no credential check is reported as
/// accessible to the pod.
pub fn already_present_message(requested: &str) -> String {
    format!(
        "Container image {requested:?} already present on machine and can be accessed by the pod"
    )
}

pub fn never_pull_message(requested: &str) -> String {
    format!("Container image {requested:?} is not present with pull policy of Never")
}

pub fn pulling_message(image: &str) -> String {
    format!("Pulling image {:?}", with_default_tag(image))
}

/// `Successfully pulled image "x" in 2s (5s including waiting). Image size: N bytes.`
pub fn pulled_message(
    image: &str,
    pull: crate::time::Duration,
    total: crate::time::Duration,
    size: u64,
) -> String {
    format!(
        "Successfully pulled image {:?} in {pull} ({total} including waiting). Image size: {size} bytes.",
        with_default_tag(image)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Duration;

    #[test]
    fn pull_policy_defaults_like_upstream() {
        assert_eq!(pull_policy("nginx", ""), "Always");
        assert_eq!(pull_policy("nginx:latest", ""), "Always");
        assert_eq!(pull_policy("nginx:1.25", ""), "IfNotPresent");
        assert_eq!(pull_policy("registry:5000/nginx", ""), "Always");
        assert_eq!(pull_policy("registry:5000/nginx:1.25", ""), "IfNotPresent");
        assert_eq!(pull_policy("nginx@sha256:abc", ""), "IfNotPresent");
        assert_eq!(pull_policy("nginx:1.25", "Always"), "Always");
    }

    #[test]
    fn default_tag_and_pull_decision() {
        assert_eq!(with_default_tag("busybox"), "busybox:latest");
        assert_eq!(
            with_default_tag("registry:5000/nginx"),
            "registry:5000/nginx:latest"
        );
        assert_eq!(with_default_tag("nginx:1.25"), "nginx:1.25");
        assert_eq!(with_default_tag("nginx@sha256:abc"), "nginx@sha256:abc");
        assert!(should_pull("Always", true));
        assert!(should_pull("IfNotPresent", false));
        assert!(!should_pull("IfNotPresent", true));
        assert!(!should_pull("Never", false));
    }

    #[test]
    fn messages() {
        assert_eq!(
            pulling_message("busybox"),
            "Pulling image \"busybox:latest\""
        );
        assert_eq!(
            pulled_message("nginx:1.25", Duration(3_740), Duration(5_740), 196_079_616),
            "Successfully pulled image \"nginx:1.25\" in 3.74s (5.74s including waiting). Image size: 196079616 bytes."
        );
        assert_eq!(
            never_pull_message("app:v1"),
            "Container image \"app:v1\" is not present with pull policy of Never"
        );
    }
}
