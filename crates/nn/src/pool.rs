//! A tiny persistent thread pool for the training loop. A job is cut into a fixed number of
//! parts; the calling thread and `threads − 1` scoped workers claim parts one at a time until
//! none is left, then the caller waits for the parts still running. Which thread runs a part
//! never matters (each part has its own buffers and the caller combines them in a fixed
//! order), and the caller never waits for a worker that has not started: on a busy machine
//! it simply does the parts itself.
//!
//! A minibatch takes tens of microseconds, far too short to spawn threads or sleep on a
//! condition variable per job, so idle workers spin on a generation counter for up to
//! [`SPIN`] (200 µs), then park until the next job unparks them (so a pool waiting on a slow
//! caller does not burn a core). All shared state is behind `Mutex`/`RwLock`; the pool
//! only sequences it.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long a waiting thread spins before it yields or parks: longer than the caller's
/// serial work between two minibatches (about 10 µs) and than an epoch's shuffle (about
/// 100 µs at 6,000 rows), so a worker is still spinning when the next job comes. Measured
/// in time, not in `pause`s: a `pause` takes about 140 cycles on recent Intel and AMD cores
/// but 3 on AMD's Zen 1, where 500 of them (the earlier count) were under a microsecond, and
/// every minibatch then paid an unpark.
const SPIN: Duration = Duration::from_micros(200);

/// Spins on `busy` until it returns false or [`SPIN`] has passed; true when it is still busy.
fn spin_while(mut busy: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    loop {
        // The clock read (tens of nanoseconds) only every 32 `pause`s.
        for _ in 0..32 {
            if !busy() {
                return false;
            }
            std::hint::spin_loop();
        }
        if started.elapsed() >= SPIN {
            return busy();
        }
    }
}

/// Work that can be split into parts.
pub(crate) trait Work<J>: Sync {
    /// How many parts `job` has.
    fn parts(&self, job: J) -> usize;
    /// Does part `part` of `job`; returns the seconds it spent in the forward pass (for the
    /// phase timings).
    fn run(&self, job: J, part: usize) -> f64;
}

pub(crate) struct Pool<'w, J, W> {
    work: &'w W,
    threads: usize,
    /// The current job and its generation (read together, so a late worker never pairs an
    /// old generation with a new job).
    job: Mutex<(u64, Option<J>)>,
    generation: AtomicU64,
    /// Generation (high 32 bits) and next unclaimed part (low 32 bits).
    claim: AtomicU64,
    finished: AtomicUsize,
    panicked: AtomicBool,
    /// Per worker: its thread (to unpark it) and whether it is parked or about to park.
    workers: Vec<(Mutex<Option<Thread>>, AtomicBool)>,
}

/// Runs `body` with a pool of `threads` threads (the caller's included) working on `work`.
pub(crate) fn with_pool<J, W, R>(threads: usize, work: &W, body: impl FnOnce(&Pool<J, W>) -> R) -> R
where
    J: Copy + Send,
    W: Work<J>,
{
    let pool = Pool {
        work,
        threads: threads.max(1),
        job: Mutex::new((0, None)),
        generation: AtomicU64::new(0),
        claim: AtomicU64::new(0),
        finished: AtomicUsize::new(0),
        panicked: AtomicBool::new(false),
        workers: (0..threads.max(1))
            .map(|_| (Mutex::new(None), AtomicBool::new(false)))
            .collect(),
    };
    if pool.threads == 1 {
        return body(&pool);
    }
    std::thread::scope(|scope| {
        for part in 1..pool.threads {
            let pool = &pool;
            scope.spawn(move || pool.worker(part));
        }
        // Stops the workers even if `body` panics, so the scope can join them.
        let _stop = StopOnDrop(&pool);
        body(&pool)
    })
}

struct StopOnDrop<'p, 'w, J: Copy + Send, W: Work<J>>(&'p Pool<'w, J, W>);

impl<J: Copy + Send, W: Work<J>> Drop for StopOnDrop<'_, '_, J, W> {
    fn drop(&mut self) {
        let pool = self.0;
        let generation = pool.generation.load(Ordering::Relaxed) + 1;
        *lock(&pool.job) = (generation, None);
        pool.publish(generation);
    }
}

/// Counts a claimed part as finished even if it panicked, so the caller never waits forever.
struct FinishOnDrop<'a>(&'a AtomicUsize, &'a AtomicBool);

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.1.store(true, Ordering::Release);
        }
        self.0.fetch_add(1, Ordering::Release);
    }
}

impl<J: Copy + Send, W: Work<J>> Pool<'_, J, W> {
    /// Threads working on each job, the caller's included.
    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    /// Runs every part of `job` on the calling thread alone; returns the forward seconds.
    pub(crate) fn run_inline(&self, job: J) -> f64 {
        (0..self.work.parts(job))
            .map(|p| self.work.run(job, p))
            .sum()
    }

    /// Runs every part of `job` and returns when all are done, with the forward seconds of
    /// the parts the calling thread ran.
    pub(crate) fn dispatch(&self, job: J) -> f64 {
        let parts = self.work.parts(job);
        if self.threads == 1 {
            return self.run_inline(job);
        }
        let generation = self.generation.load(Ordering::Relaxed) + 1;
        self.finished.store(0, Ordering::Relaxed);
        self.claim.store(generation << 32, Ordering::Release);
        *lock(&self.job) = (generation, Some(job));
        self.publish(generation);
        let own = self.claim_and_run(job, generation, parts);
        if spin_while(|| self.finished.load(Ordering::Acquire) != parts) {
            while self.finished.load(Ordering::Acquire) != parts {
                std::thread::yield_now();
            }
        }
        if self.panicked.load(Ordering::Acquire) {
            panic!("a training thread panicked");
        }
        own
    }

    /// Claims parts of generation `generation` until none is left; returns the forward
    /// seconds spent.
    fn claim_and_run(&self, job: J, generation: u64, parts: usize) -> f64 {
        let mut seconds = 0.0;
        loop {
            let current = self.claim.load(Ordering::Acquire);
            let part = (current & 0xffff_ffff) as usize;
            if current >> 32 != generation || part >= parts {
                return seconds;
            }
            if self
                .claim
                .compare_exchange_weak(current, current + 1, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                let _finish = FinishOnDrop(&self.finished, &self.panicked);
                seconds += self.work.run(job, part);
            }
        }
    }

    /// Starts generation `generation` and wakes the parked workers.
    fn publish(&self, generation: u64) {
        // SeqCst pairs with the worker's SeqCst store of its flag then load of the
        // generation: either it sees the new generation, or this sees its flag and unparks.
        self.generation.store(generation, Ordering::SeqCst);
        for (thread, parked) in &self.workers[1..] {
            if parked.load(Ordering::SeqCst) {
                if let Some(t) = lock(thread).as_ref() {
                    t.unpark();
                }
            }
        }
    }

    /// Waits until the generation differs from `seen`.
    fn wait_for_job(&self, part: usize, seen: u64) {
        let (_, parked) = &self.workers[part];
        if !spin_while(|| self.generation.load(Ordering::SeqCst) == seen) {
            return;
        }
        while self.generation.load(Ordering::SeqCst) == seen {
            parked.store(true, Ordering::SeqCst);
            if self.generation.load(Ordering::SeqCst) == seen {
                // Returns at once if unparked since; may also wake spuriously: loop again.
                std::thread::park();
            }
            parked.store(false, Ordering::SeqCst);
        }
    }

    fn worker(&self, part: usize) {
        *lock(&self.workers[part].0) = Some(std::thread::current());
        let mut seen = 0;
        loop {
            self.wait_for_job(part, seen);
            let (generation, job) = *lock(&self.job);
            seen = generation;
            let Some(job) = job else {
                return;
            };
            self.claim_and_run(job, generation, self.work.parts(job));
        }
    }
}

/// Locks, ignoring poisoning (a panic elsewhere is re-raised by `dispatch` anyway).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}
