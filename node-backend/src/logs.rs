//! Container logs in the CRI format, as containerd writes them and the kubelet reads them:
//! `<RFC3339Nano timestamp> <stdout|stderr> <F|P> <content>\n`
//! (kubernetes/cri-api pkg/apis/runtime/v1 `LogTag`: `F` full line, `P` partial; containerd
//! internal/cri/io/logger.go `redirectLogs`, which splits lines longer than its buffer into
//! `P` pieces and writes a line still open at end of stream as `F`).
//!
//! Rotation follows the kubelet's container log manager (pkg/kubelet/logs
//! container_log_manager.go): at `containerLogMaxSize` (default 10 MiB) the file is renamed
//! with a `.YYYYMMDD-hhmmss` suffix and a new one opened; at most `containerLogMaxFiles`
//! (default 5) files are kept, the oldest rotated ones removed first. (The kubelet also gzips
//! rotated files; cellsim keeps them plain.)

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// kubelet defaults: `containerLogMaxSize` 10Mi, `containerLogMaxFiles` 5.
pub const MAX_SIZE: u64 = 10 << 20;
pub const MAX_FILES: usize = 5;

/// containerd's `maxContainerLogLineSize` default (16 KiB): longer lines are split.
pub const MAX_LINE: usize = 16 << 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// Go's `time.RFC3339Nano` in UTC: trailing zeros of the fraction trimmed (and the dot when
/// the fraction is zero), `Z` for UTC.
pub fn rfc3339_nano(unix_nanos: i128) -> String {
    let secs = unix_nanos.div_euclid(1_000_000_000) as i64;
    let nanos = unix_nanos.rem_euclid(1_000_000_000) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    );
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// `YYYYMMDD-hhmmss` (the kubelet's rotation suffix, `timestampFormat = "20060102-150405"`).
pub fn rotation_suffix(unix_nanos: i128) -> String {
    let secs = unix_nanos.div_euclid(1_000_000_000) as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

/// Howard Hinnant's days-from-civil inverse.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Writes one container's log with rotation.
pub struct Writer {
    path: PathBuf,
    file: File,
    size: u64,
    max_size: u64,
    max_files: usize,
    /// Unfinished line per stream.
    pending: [Vec<u8>; 2],
}

impl Writer {
    pub fn open(path: &Path, max_size: u64, max_files: usize) -> std::io::Result<Writer> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let size = file.metadata()?.len();
        Ok(Writer {
            path: path.to_path_buf(),
            file,
            size,
            max_size,
            max_files: max_files.max(1),
            pending: [Vec::new(), Vec::new()],
        })
    }

    /// Bytes read from a stream: complete lines are written as `F`, an over-long line in `P`
    /// pieces of `MAX_LINE`.
    pub fn feed(&mut self, stream: Stream, data: &[u8], now: i128) -> std::io::Result<()> {
        let i = stream as usize;
        let mut buf = std::mem::take(&mut self.pending[i]);
        buf.extend_from_slice(data);
        let mut start = 0;
        while let Some(nl) = buf[start..].iter().position(|b| *b == b'\n') {
            let line = &buf[start..start + nl];
            self.write_split(stream, line, now)?;
            start += nl + 1;
        }
        let mut rest = buf.split_off(start);
        while rest.len() >= MAX_LINE {
            let tail = rest.split_off(MAX_LINE);
            self.write_line(stream, "P", &rest, now)?;
            rest = tail;
        }
        self.pending[i] = rest;
        Ok(())
    }

    fn write_split(&mut self, stream: Stream, line: &[u8], now: i128) -> std::io::Result<()> {
        let mut chunks = line.chunks(MAX_LINE).peekable();
        if chunks.peek().is_none() {
            return self.write_line(stream, "F", b"", now);
        }
        while let Some(c) = chunks.next() {
            let tag = if chunks.peek().is_some() { "P" } else { "F" };
            self.write_line(stream, tag, c, now)?;
        }
        Ok(())
    }

    /// End of a stream: a line without its newline is written as a full line.
    pub fn close_stream(&mut self, stream: Stream, now: i128) -> std::io::Result<()> {
        let rest = std::mem::take(&mut self.pending[stream as usize]);
        if !rest.is_empty() {
            self.write_line(stream, "F", &rest, now)?;
        }
        Ok(())
    }

    fn write_line(
        &mut self,
        stream: Stream,
        tag: &str,
        content: &[u8],
        now: i128,
    ) -> std::io::Result<()> {
        let mut line = Vec::with_capacity(content.len() + 48);
        line.extend_from_slice(rfc3339_nano(now).as_bytes());
        line.push(b' ');
        line.extend_from_slice(stream.as_str().as_bytes());
        line.push(b' ');
        line.extend_from_slice(tag.as_bytes());
        line.push(b' ');
        line.extend_from_slice(content);
        line.push(b'\n');
        if self.size > 0 && self.size + line.len() as u64 > self.max_size {
            self.rotate(now)?;
        }
        self.file.write_all(&line)?;
        self.size += line.len() as u64;
        Ok(())
    }

    fn rotate(&mut self, now: i128) -> std::io::Result<()> {
        let mut target = PathBuf::from(format!("{}.{}", self.path.display(), rotation_suffix(now)));
        let mut n = 1;
        while target.exists() {
            target = PathBuf::from(format!(
                "{}.{}.{n}",
                self.path.display(),
                rotation_suffix(now)
            ));
            n += 1;
        }
        std::fs::rename(&self.path, &target)?;
        let mut rotated = rotated_files(&self.path);
        while rotated.len() + 1 > self.max_files {
            let oldest = rotated.remove(0);
            let _ = std::fs::remove_file(oldest);
        }
        self.file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

/// Rotated files of `path`, oldest first.
pub fn rotated_files(path: &Path) -> Vec<PathBuf> {
    let Some(dir) = path.parent() else {
        return Vec::new();
    };
    let prefix = format!(
        "{}.",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    let mut v: Vec<(std::time::SystemTime, String, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| {
            (
                e.metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::UNIX_EPOCH),
                e.file_name().to_string_lossy().into_owned(),
                e.path(),
            )
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, _, p)| p).collect()
}

/// One parsed CRI log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    pub time: &'a str,
    pub stream: &'a str,
    pub partial: bool,
    pub content: &'a [u8],
}

/// Parse one CRI log line (without its newline); kubelet pkg/kubelet/kuberuntime/logs
/// `parseCRILog`.
pub fn parse(line: &[u8]) -> Option<Line<'_>> {
    let mut parts = line.splitn(4, |b| *b == b' ');
    let time = std::str::from_utf8(parts.next()?).ok()?;
    let stream = std::str::from_utf8(parts.next()?).ok()?;
    let tag = parts.next()?;
    let content = parts.next().unwrap_or(b"");
    if stream != "stdout" && stream != "stderr" {
        return None;
    }
    Some(Line {
        time,
        stream,
        partial: tag == b"P",
        content,
    })
}

/// Follows a log file from an offset (for `run-pod`'s streaming): complete lines only.
pub struct Follower {
    pub path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
}

impl Follower {
    pub fn new(path: PathBuf) -> Follower {
        Follower {
            path,
            offset: 0,
            partial: Vec::new(),
        }
    }

    /// New (stream, content) lines since the last call, with `P` pieces joined.
    pub fn poll(&mut self) -> Vec<(String, Vec<u8>)> {
        use std::io::{Read, Seek, SeekFrom};
        let mut out = Vec::new();
        let Ok(mut f) = File::open(&self.path) else {
            return out;
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.offset {
            self.offset = 0; // rotated
        }
        if f.seek(SeekFrom::Start(self.offset)).is_err() {
            return out;
        }
        let mut buf = Vec::new();
        if f.read_to_end(&mut buf).is_err() {
            return out;
        }
        let mut start = 0;
        while let Some(nl) = buf[start..].iter().position(|b| *b == b'\n') {
            if let Some(l) = parse(&buf[start..start + nl]) {
                self.partial.extend_from_slice(l.content);
                if !l.partial {
                    out.push((l.stream.to_string(), std::mem::take(&mut self.partial)));
                }
            }
            start += nl + 1;
        }
        self.offset += start as u64;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_nano_like_go() {
        assert_eq!(rfc3339_nano(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_nano(1_475_712_429_669_794_202),
            "2016-10-06T00:07:09.669794202Z"
        );
        assert_eq!(
            rfc3339_nano(1_767_225_600_500_000_000),
            "2026-01-01T00:00:00.5Z"
        );
        assert_eq!(
            rotation_suffix(1_767_225_600_500_000_000),
            "20260101-000000"
        );
    }

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cellsim-logs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn lines_are_written_full_and_partial() {
        let d = tmpdir("lines");
        let p = d.join("0.log");
        let mut w = Writer::open(&p, MAX_SIZE, MAX_FILES).unwrap();
        let t = 1_475_712_429_669_794_202;
        w.feed(Stream::Stdout, b"hello\nwor", t).unwrap();
        w.feed(Stream::Stderr, b"oops\n", t).unwrap();
        w.feed(Stream::Stdout, b"ld\n", t).unwrap();
        let long = vec![b'x'; MAX_LINE + 10];
        w.feed(Stream::Stdout, &long, t).unwrap();
        w.feed(Stream::Stdout, b"\nend", t).unwrap();
        w.close_stream(Stream::Stdout, t).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "2016-10-06T00:07:09.669794202Z stdout F hello");
        assert_eq!(lines[1], "2016-10-06T00:07:09.669794202Z stderr F oops");
        assert_eq!(lines[2], "2016-10-06T00:07:09.669794202Z stdout F world");
        assert!(lines[3].starts_with("2016-10-06T00:07:09.669794202Z stdout P xxxx"));
        assert_eq!(
            lines[4],
            format!("2016-10-06T00:07:09.669794202Z stdout F {}", "x".repeat(10))
        );
        assert_eq!(lines[5], "2016-10-06T00:07:09.669794202Z stdout F end");
        let mut f = Follower::new(p.clone());
        let got = f.poll();
        assert_eq!(got[0], ("stdout".to_string(), b"hello".to_vec()));
        assert_eq!(got[3].1.len(), MAX_LINE + 10, "P pieces are joined");
        assert!(f.poll().is_empty());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn rotation_keeps_at_most_max_files() {
        let d = tmpdir("rotate");
        let p = d.join("0.log");
        let mut w = Writer::open(&p, 1000, 3).unwrap();
        let mut t: i128 = 1_767_225_600_000_000_000;
        for i in 0..200 {
            w.feed(Stream::Stdout, format!("line {i:04}\n").as_bytes(), t)
                .unwrap();
            t += 1_000_000_000;
        }
        let rotated = rotated_files(&p);
        assert_eq!(rotated.len(), 2, "{rotated:?}");
        assert!(std::fs::metadata(&p).unwrap().len() <= 1000);
        for r in &rotated {
            assert!(std::fs::metadata(r).unwrap().len() <= 1000);
        }
        let last = std::fs::read_to_string(&p).unwrap();
        assert!(last.trim_end().ends_with("line 0199"));
        std::fs::remove_dir_all(&d).unwrap();
    }
}
