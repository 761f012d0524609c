//! A tiny persistent thread pool for the training loop: the calling thread and `threads − 1`
//! scoped workers all run part of every job, then the caller waits for the others.
//!
//! A minibatch takes tens of microseconds, far too short to spawn threads or sleep on a
//! condition variable per job, so idle workers spin on a generation counter for about a
//! hundred microseconds, then park until the next job unparks them (so a pool waiting on a
//! slow caller, or a machine with more runnable threads than cores, does not burn a core).
//! All shared state is behind `Mutex`/`RwLock`; the pool only sequences it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::Thread;

/// Spins before a worker parks (each a `pause`, some tens of nanoseconds).
const SPINS: u32 = 2000;

/// Work that can be split into parts: `run(job, part, parts)` does part `part` of `parts`.
pub(crate) trait Work<J>: Sync {
    fn run(&self, job: J, part: usize, parts: usize);
}

pub(crate) struct Pool<'w, J, W> {
    work: &'w W,
    threads: usize,
    job: Mutex<Option<J>>,
    generation: AtomicUsize,
    done: AtomicUsize,
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
        job: Mutex::new(None),
        generation: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
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
        *lock(&self.0.job) = None;
        self.0.publish();
    }
}

/// Counts a worker's part as done even if it panicked, so the caller never waits forever.
struct DoneOnDrop<'a>(&'a AtomicUsize, &'a AtomicBool);

impl Drop for DoneOnDrop<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.1.store(true, Ordering::Release);
        }
        self.0.fetch_add(1, Ordering::Release);
    }
}

impl<J: Copy + Send, W: Work<J>> Pool<'_, J, W> {
    /// Runs every part of `job`, part 0 on the calling thread, and returns when all are done.
    pub(crate) fn dispatch(&self, job: J) {
        if self.threads == 1 {
            self.work.run(job, 0, 1);
            return;
        }
        *lock(&self.job) = Some(job);
        self.done.store(0, Ordering::Relaxed);
        self.publish();
        self.work.run(job, 0, self.threads);
        let mut spins = 0u32;
        while self.done.load(Ordering::Acquire) != self.threads - 1 {
            if spins < SPINS {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        if self.panicked.load(Ordering::Acquire) {
            panic!("a training thread panicked");
        }
    }

    /// Starts a new generation (a job or the stop) and wakes the parked workers.
    fn publish(&self) {
        // SeqCst pairs with the worker's SeqCst store of its flag then load of the
        // generation: either it sees the new generation, or this sees its flag and unparks.
        self.generation.fetch_add(1, Ordering::SeqCst);
        for (thread, parked) in &self.workers[1..] {
            if parked.load(Ordering::SeqCst) {
                if let Some(t) = lock(thread).as_ref() {
                    t.unpark();
                }
            }
        }
    }

    /// Waits until the generation differs from `seen`; returns the new one.
    fn wait_for_job(&self, part: usize, seen: usize) -> usize {
        let (_, parked) = &self.workers[part];
        let mut spins = 0u32;
        loop {
            let g = self.generation.load(Ordering::SeqCst);
            if g != seen {
                return g;
            }
            if spins < SPINS {
                spins += 1;
                std::hint::spin_loop();
                continue;
            }
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
            seen = self.wait_for_job(part, seen);
            let Some(job) = *lock(&self.job) else {
                return;
            };
            let _done = DoneOnDrop(&self.done, &self.panicked);
            self.work.run(job, part, self.threads);
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
