//! Probes through the kubelet's prober: httpGet and tcpSocket from the pod's network
//! namespace, exec inside the container; a failing liveness probe restarts the container.

mod common;
use common::Harness;
use std::time::Duration;

#[test]
fn http_tcp_and_exec_probes_drive_readiness_and_liveness() {
    let mut h = Harness::new("probes");
    let uid = h.run(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: web
    image: cellsim/busybox:latest
    command: [sh, -c]
    args:
    - |
      mkdir -p /www && echo ok > /www/healthz
      httpd -f -p 8080 -h /www &
      sleep 2; touch /tmp/die
      while :; do sleep 1; done
    ports: [{name: http, containerPort: 8080}]
    readinessProbe:
      httpGet: {path: /healthz, port: http}
      periodSeconds: 1
    startupProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1
      failureThreshold: 10
    livenessProbe:
      exec: {command: [sh, -c, "test ! -f /tmp/die"]}
      periodSeconds: 1
      failureThreshold: 1
  - name: missing
    image: cellsim/busybox:latest
    command: [sh, -c, "httpd -f -p 9090 -h /"]
    readinessProbe:
      httpGet: {path: /nope, port: 9090}
      periodSeconds: 1
    livenessProbe:
      tcpSocket: {port: 9999}
      periodSeconds: 1
      failureThreshold: 100
"#,
    );
    // Ready through the startup (tcp) and readiness (http) probes.
    let u = uid.clone();
    h.until(Duration::from_secs(20), move |a| {
        a.worker(&u).is_some_and(|w| w.ctrs[0].ready())
    });
    // Then the exec liveness probe fails (the file appears after 2 s): killed, restarted.
    h.until(Duration::from_secs(20), |a| {
        a.events
            .iter()
            .any(|e| e.reason == "Killing" && e.message.contains("failed liveness probe"))
    });
    let u = uid.clone();
    h.until(Duration::from_secs(20), move |a| {
        a.worker(&u)
            .is_some_and(|w| w.ctrs[0].running().is_some_and(|(att, _)| att >= 1))
    });
    let ev = &h.agent().events;
    // The exec probe passed until the file appeared (2 s after the start), then failed.
    let started = ev.iter().find(|e| e.reason == "Started").unwrap().at.0;
    let first_fail = ev
        .iter()
        .find(|e| {
            e.reason == "Unhealthy"
                && e.message.contains("Liveness probe failed")
                && !e.message.contains("dial tcp") // the second container's
        })
        .unwrap()
        .at
        .0;
    assert!(
        first_fail - started >= 1500,
        "exec liveness passed at first: {ev:?}"
    );
    assert!(!ev.iter().any(|e| e.reason == "RuntimeError"), "{ev:?}");
    let unhealthy = |s: &str| {
        ev.iter()
            .any(|e| e.reason == "Unhealthy" && e.message.contains(s))
    };
    assert!(unhealthy("Liveness probe failed"), "{ev:?}");
    assert!(
        unhealthy("Readiness probe failed: HTTP probe failed with statuscode: 404"),
        "{ev:?}"
    );
    assert!(
        unhealthy("dial tcp 127.0.0.1:9999: connect: connection refused"),
        "{ev:?}"
    );
    let w = h.agent().worker(&uid).unwrap();
    assert!(!w.ctrs[1].ready(), "404 keeps the second container unready");
    h.finish();
}
