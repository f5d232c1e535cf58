//! (root) Pods started through `LinuxRuntime` with a node network: each sandbox gets a veth
//! and an address from its node's pod CIDR, reported in SandboxReady (the pod's status IP)
//! and written into its /etc/hosts; a busybox pod on one node fetches a page from a busybox
//! httpd pod on the other node by pod IP (with `nc`: the host's static busybox `wget`
//! segfaults). Everything is removed at the end.

mod common;

use std::time::Duration;

#[test]
fn a_pod_on_one_node_fetches_from_a_pod_on_another_by_pod_ip() {
    common::require_root();
    let mut net = common::TwoNodes::new("podnet");
    let (ha, hb) = (&mut net.ha, &mut net.hb);

    let server = hb.run(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: server}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: cellsim/busybox:latest
    command: [sh, -c, "mkdir -p /www && hostname > /www/index.html && grep server /etc/hosts > /www/hosts && exec httpd -f -p 8080 -h /www"]
"#,
    );
    hb.wait_running(&server, "httpd");
    let ip = hb.agent().pod_status(&server).unwrap().pod_ip.clone();
    assert_eq!(ip, "10.244.1.2", "the first address of node b's pod CIDR");

    let client = ha.run(&format!(
        r#"
apiVersion: v1
kind: Pod
metadata: {{name: client}}
spec:
  restartPolicy: Never
  containers:
  - name: wget
    image: cellsim/busybox:latest
    command: [sh, -c]
    args:
    - |
      ip -4 -o addr show eth0 | awk '{{print "client", $4}}'
      get() {{ printf 'GET %s HTTP/1.0\r\n\r\n' "$1" | nc -w 2 {ip} 8080 | sed '1,/^\r*$/d'; }}
      for i in $(seq 50); do
        page=$(get /) && hosts=$(get /hosts) && [ -n "$page" ] && echo "$page" && echo "$hosts" && exit 0
        sleep 0.1
      done
      exit 1
"#
    ));
    let (code, _) = ha.wait_exit(&client, "wget", Duration::from_secs(20));
    let target = ha.target(&client, "wget").unwrap();
    let logs = ha.logs(&target);
    assert_eq!(code, 0, "client logs: {logs:?}");
    assert_eq!(
        logs,
        ["client 10.244.0.2/24", "server", "10.244.1.2\tserver"],
        "the client's own address, the server's page, the server's /etc/hosts line"
    );
    assert_eq!(ha.agent().pod_status(&client).unwrap().pod_ip, "10.244.0.2");

    net.finish();
}
