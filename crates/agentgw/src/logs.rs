//! Where log lines go: per-thread buffers in front of stderr, written out by a flusher thread.
//!
//! The gateway logs one line per request. Written straight to stderr that is a write(2) per
//! request; handed to a writer thread through a queue (tracing-appender, as before) it is a
//! thread wake-up per request, which perf showed costing more than the SQLite read of a GET
//! by id (the writer thread alone took 13 % of the gateway's CPU at 28k req/s); appended to one
//! shared buffer under a lock, the workers' contention on it was a futex call per request
//! (strace -c: 13,880 futex calls for 13,345 GETs). Here each thread appends a line to a buffer
//! of its own, under a lock only the flusher ever shares; every `FLUSH_EVERY` the flusher takes
//! all the buffers' lines and writes them out in one write, and a thread whose buffer is full
//! writes it out itself, so a burst neither grows memory nor loses a line. Lines of one thread
//! keep their order; lines of two threads within one flush may not. Dropping the guard (any
//! normal exit, SIGTERM included) writes the rest. A kill -9 can lose the last `FLUSH_EVERY` of
//! lines, as with nginx's `access_log … buffer= flush=`; never an acknowledged write.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use thread_local::ThreadLocal;

/// How long a line may wait in a buffer.
const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Bytes one thread buffers before it writes them out itself.
const CAPACITY: usize = 256 * 1024;

struct Shared<W> {
    /// Each thread's lines, not yet written.
    lines: ThreadLocal<Mutex<Vec<u8>>>,
    /// Where they go; held while a batch is written, so batches never interleave.
    out: Mutex<W>,
}

/// A cloneable writer into the calling thread's buffer.
pub(crate) struct LogBuffer<W: Write + Send + 'static> {
    shared: Arc<Shared<W>>,
}

impl<W: Write + Send + 'static> Clone for LogBuffer<W> {
    fn clone(&self) -> Self {
        LogBuffer {
            shared: Arc::clone(&self.shared),
        }
    }
}

/// Stops the flusher and writes what is buffered, when dropped.
pub(crate) struct FlushGuard<W: Write + Send + 'static> {
    buffer: LogBuffer<W>,
    stop: Arc<AtomicBool>,
}

/// A lock that a panicking holder poisoned still guards whole lines: logging goes on.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<W: Write + Send + 'static> LogBuffer<W> {
    /// Buffers in front of `out` and the thread that flushes them.
    pub fn start(out: W) -> std::io::Result<(LogBuffer<W>, FlushGuard<W>)> {
        let buffer = LogBuffer {
            shared: Arc::new(Shared {
                lines: ThreadLocal::new(),
                out: Mutex::new(out),
            }),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let (flushed, stopped) = (buffer.clone(), Arc::clone(&stop));
        std::thread::Builder::new()
            .name("log-flush".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(FLUSH_EVERY);
                    // A failing stderr has nowhere to be reported; the next flush tries again.
                    let _ = flushed.flush_all();
                }
            })?;
        let guard = FlushGuard {
            buffer: buffer.clone(),
            stop,
        };
        Ok((buffer, guard))
    }

    /// Write every thread's buffered lines, in one write.
    fn flush_all(&self) -> std::io::Result<()> {
        let mut batch = Vec::new();
        for lines in self.shared.lines.iter() {
            batch.append(&mut lock(lines));
        }
        let mut out = lock(&self.shared.out);
        if !batch.is_empty() {
            out.write_all(&batch)?;
        }
        out.flush()
    }
}

impl<W: Write + Send + 'static> Write for LogBuffer<W> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        self.write_all(line).map(|()| line.len())
    }

    fn write_all(&mut self, line: &[u8]) -> std::io::Result<()> {
        // One lock for the whole line, so a line is never torn.
        let mut mine = lock(self.shared.lines.get_or_default());
        if mine.len() + line.len() > CAPACITY {
            let mut out = lock(&self.shared.out);
            out.write_all(&mine)?;
            mine.clear();
            return out.write_all(line);
        }
        mine.extend_from_slice(line);
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.flush_all()
    }
}

impl<W: Write + Send + 'static> Drop for FlushGuard<W> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.buffer.flush_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A `Write` whose bytes the test can read while the buffer holds the writer.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner))
                .into_owned()
        }
    }

    #[test]
    fn a_line_is_written_out_by_the_flusher_without_a_flush_call() -> std::io::Result<()> {
        let sink = Sink::default();
        let (mut logs, _guard) = LogBuffer::start(sink.clone())?;
        logs.write_all(b"one line\n")?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while sink.text().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(sink.text(), "one line\n");
        Ok(())
    }

    #[test]
    fn dropping_the_guard_writes_the_rest() -> std::io::Result<()> {
        let sink = Sink::default();
        let (mut logs, guard) = LogBuffer::start(sink.clone())?;
        logs.write_all(b"last words\n")?;
        drop(guard);
        assert_eq!(sink.text(), "last words\n");
        Ok(())
    }

    #[test]
    fn a_burst_larger_than_the_buffer_loses_nothing() -> std::io::Result<()> {
        let sink = Sink::default();
        let (logs, guard) = LogBuffer::start(sink.clone())?;
        let writers: Vec<_> = (0..4)
            .map(|t| {
                let mut logs = logs.clone();
                std::thread::spawn(move || {
                    for i in 0..20_000 {
                        let _ = logs.write_all(format!("thread {t} line {i:05}\n").as_bytes());
                    }
                })
            })
            .collect();
        for w in writers {
            let _ = w.join();
        }
        drop(guard);
        let text = sink.text();
        assert_eq!(text.lines().count(), 80_000);
        assert!(
            text.lines()
                .all(|l| l.starts_with("thread ") && l.len() == "thread 0 line 00000".len()),
            "no line was torn by another thread's"
        );
        Ok(())
    }
}
