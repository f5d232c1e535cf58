//! Standard output that does not panic when the reader goes away (`cellsim ... | head`):
//! `println!` panics on a closed pipe; here the process ends quietly with the status a shell
//! reports for SIGPIPE (128 + 13), as a C tool killed by the signal would.

use std::io::{ErrorKind, Write};

/// Exit status after a closed stdout (128 + SIGPIPE).
const BROKEN_PIPE_STATUS: i32 = 141;

/// Write `s` to stdout as is.
pub fn write(s: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => std::process::exit(BROKEN_PIPE_STATUS),
        r => r,
    }
}

/// `println!` that survives a closed pipe.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out::write(&format!("{}\n", format!($($arg)*)))
    };
}
pub(crate) use outln;
