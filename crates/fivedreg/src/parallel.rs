//! Independent jobs on up to a given number of threads.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `job(0), …, job(n − 1)` on up to `threads` threads (the calling thread one of them), each
/// job claimed by whichever thread is free; the results in job order, so they are the same
/// whatever `threads` is when each job's result depends on its index only.
pub(crate) fn map_jobs<T: Send>(
    n: usize,
    threads: usize,
    job: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        return (0..n).map(job).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                return done;
            }
            done.push((i, job(i)));
        }
    };
    let mut results: Vec<Option<T>> = (0..n).map(|_| None).collect();
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for helper in helpers {
            match helper.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        for (i, result) in all {
            results[i] = Some(result);
        }
    });
    // Every index below `n` was claimed exactly once by the counter.
    results.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::map_jobs;

    #[test]
    fn results_come_in_job_order_whatever_the_thread_count() {
        for threads in [1, 2, 3, 8] {
            assert_eq!(
                map_jobs(10, threads, |i| i * i),
                (0..10).map(|i| i * i).collect::<Vec<_>>()
            );
        }
        assert!(map_jobs(0, 4, |i| i).is_empty());
    }
}
