//! argon2id password hashing on a small pool of threads of its own.
//!
//! A hash costs 19 MiB and tens of milliseconds of one core. Run on tokio's
//! blocking pool, every new blocking thread left its allocator arena holding
//! those 19 MiB, so a sign-in flood grew the process by hundreds of MB. Here
//! a few long-lived workers each reuse one block set, so memory is bounded
//! by the pool size whatever the load; the workers run at a lower priority,
//! so a flood cannot take the cores from the rest of the server; and only a
//! bounded number of requests may wait for them, each for at most a second:
//! the rest are shed as `Busy` (503 + `Retry-After`, counted) instead of
//! queueing behind seconds of work.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tracing::Span;

use super::{AccountError, AccountResult};
use crate::domain::NewPassword;
use crate::metrics::Metrics;

/// OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

/// Blocks (1 KiB each) a worker keeps for itself: enough for our parameters.
const BLOCKS: usize = MEMORY_KIB as usize;

/// A stored hash asking for more than this is refused rather than allocated:
/// older, stronger settings fit, a corrupted row does not take the memory.
const MAX_STORED_BLOCKS: usize = 256 * 1024;

/// Verified against when the account does not exist, so unknown emails cost
/// the same as wrong passwords: our parameters, a fixed salt, and an output
/// that no password is known to produce. It never authenticates anyway (see
/// [`PasswordHasher::verify`]).
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$bGF0Y2hrZXkgZHVtbXkgIQ$bm8gYWNjb3VudCBoYXMgdGhpcyBwYXNzd29yZCA6LSk";

/// Workers never exceed this by default: each keeps 19 MiB.
const MAX_DEFAULT_WORKERS: usize = 4;

/// Requests that may wait for a worker, per worker: about a quarter of a
/// second of work, beyond which a caller is better told to come back.
const QUEUED_PER_WORKER: usize = 4;

/// How long a request may wait for a place in the pool before it is shed.
/// Waiting costs no CPU. Answered at once instead, a flood's clients come
/// straight back, and the flood becomes thousands of refusals a second that
/// take the cores from everything else (measured: validation's p99 went
/// from 1.3 ms to 22 ms under 64 flooding clients). It matches the
/// `Retry-After: 1` a shed request is given.
const ADMISSION_WAIT: Duration = Duration::from_secs(1);

/// Niceness of the hashing threads (Linux): against a busy thread of normal
/// priority the scheduler gives them about a quarter of the core, and every
/// core while nothing else wants it, so sign-ins keep argon2's speed on an
/// idle server yet yield to validation during a flood. Measured on 2 cores
/// with the load generator on the same cores: correct sign-ins per second
/// were 0.74 of the old blocking pool's at nice 10, 0.86 at 5, ~1.0 at 0.
#[cfg(target_os = "linux")]
const WORKER_NICENESS: i32 = 5;

/// How big the hashing pool is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPool {
    /// Threads hashing at once, each with its own 19 MiB.
    pub workers: usize,
    /// Requests that may wait for a worker; the next is refused as `Busy`.
    pub queue: usize,
    /// How long a request waits for one of those places before it is refused.
    pub admission_wait: Duration,
}

impl PasswordPool {
    /// The operator's sizes where given; otherwise one worker per core up
    /// to [`MAX_DEFAULT_WORKERS`] (they run at a low priority, so this takes
    /// nothing from other work), and a short queue.
    pub fn sized(workers: Option<usize>, queue: Option<usize>) -> Self {
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
        let workers = workers.unwrap_or_else(|| cores.clamp(1, MAX_DEFAULT_WORKERS)).max(1);
        Self { workers, queue: queue.unwrap_or(workers * QUEUED_PER_WORKER), admission_wait: ADMISSION_WAIT }
    }
}

/// Hashes and verifies passwords with argon2id on the hashing pool.
#[derive(Clone)]
pub struct PasswordHasher {
    pool: Arc<Pool>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("workers", &self.pool.workers)
            .field("free_places", &self.pool.places.available_permits())
            .field("block_sets", &self.pool.allocated.load(Ordering::Relaxed))
            .finish()
    }
}

/// A place held in the hashing pool until the hash it was taken for is done.
#[derive(Debug)]
pub struct HashingPlace(OwnedSemaphorePermit);

/// One piece of work for a worker, holding its place until it is done.
struct Job {
    work: Box<dyn FnOnce(&mut Memory) + Send>,
    span: Span,
    _place: OwnedSemaphorePermit,
}

struct Pool {
    /// Dropping the last sender (with the last hasher clone) stops the workers.
    jobs: Mutex<Sender<Job>>,
    /// Places for running and waiting jobs: workers + queue.
    places: Arc<Semaphore>,
    /// How long a request waits for a place.
    admission_wait: Duration,
    workers: usize,
    /// Block sets the workers hold: never more than `workers`.
    allocated: Arc<AtomicUsize>,
    metrics: Arc<Metrics>,
}

/// A worker's argon2 memory: one block set, allocated at its first job and
/// reused for every later one.
struct Memory {
    blocks: Vec<Block>,
    allocated: Arc<AtomicUsize>,
}

impl Memory {
    /// Runs argon2 with `params` into `out`, in the worker's own blocks.
    fn hash_into(
        &mut self,
        argon: &Argon2<'_>,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), argon2::Error> {
        let needed = argon.params().block_count();
        if needed > BLOCKS {
            // A hash from older, stronger settings: a one-off allocation,
            // still bounded by the number of workers.
            if needed > MAX_STORED_BLOCKS {
                return Err(argon2::Error::MemoryTooMuch);
            }
            let mut once = vec![Block::new(); needed];
            return argon.hash_password_into_with_memory(password, salt, out, once.as_mut_slice());
        }
        if self.blocks.is_empty() {
            self.blocks = vec![Block::new(); BLOCKS];
            self.allocated.fetch_add(1, Ordering::Relaxed);
        }
        let blocks = self.blocks.get_mut(..needed).ok_or(argon2::Error::MemoryTooLittle)?;
        argon.hash_password_into_with_memory(password, salt, out, blocks)
    }
}

fn hashing_error(e: impl std::fmt::Display) -> AccountError {
    AccountError::Hashing(e.to_string())
}

fn our_params() -> AccountResult<Params> {
    Params::new(MEMORY_KIB, ITERATIONS, LANES, None).map_err(hashing_error)
}

/// A new PHC string for `password`, in the same format the `argon2` crate's
/// `PasswordHasher` writes (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
fn hash_with(memory: &mut Memory, password: &[u8]) -> AccountResult<String> {
    let params = our_params()?;
    let salt = argon2::password_hash::try_generate_salt().map_err(hashing_error)?;
    let mut buffer = [0_u8; Output::MAX_LENGTH];
    let out = buffer
        .get_mut(..params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN))
        .ok_or_else(|| AccountError::Hashing("output longer than a PHC string holds".into()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    memory.hash_into(&argon, password, &salt, out).map_err(hashing_error)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(hashing_error)?,
        salt: Some(Salt::new(&salt).map_err(hashing_error)?),
        hash: Some(Output::new(out).map_err(hashing_error)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` produces `stored`, recomputed with the stored hash's
/// own algorithm, version and parameters (so hashes made with older settings
/// keep verifying) and compared in constant time. Anything unparsable is
/// simply not a match.
fn verify_with(memory: &mut Memory, password: &[u8], stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else { return false };
    let Ok(version) = parsed.version.map_or(Ok(Version::default()), Version::try_from) else { return false };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    let mut buffer = [0_u8; Output::MAX_LENGTH];
    let Some(out) = buffer.get_mut(..expected.len()) else { return false };
    let argon = Argon2::new(algorithm, version, params);
    if memory.hash_into(&argon, password, salt.as_ref(), out).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(out).is_ok_and(|computed| computed == *expected)
}

/// A worker: takes jobs until every hasher is gone, reusing one block set.
fn work(jobs: Arc<Mutex<Receiver<Job>>>, allocated: Arc<AtomicUsize>) {
    lower_priority();
    let mut memory = Memory { blocks: Vec::new(), allocated };
    loop {
        // One worker waits on the queue while holding the lock; the others
        // wait for the lock. A poisoned lock or a closed queue ends the worker.
        let job = {
            let Ok(queue) = jobs.lock() else { return };
            match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        let Job { work, span, _place } = job;
        span.in_scope(|| work(&mut memory));
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux a thread has its own nice value: this lowers this thread only.
    if let Err(error) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), WORKER_NICENESS) {
        tracing::warn!(%error, "could not lower the priority of a password hashing thread");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

impl PasswordHasher {
    /// Starts the pool's workers (they allocate their memory at their first job).
    pub fn new(size: PasswordPool, metrics: Arc<Metrics>) -> AccountResult<Self> {
        let workers = size.workers.max(1);
        let (sender, receiver) = std::sync::mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let allocated = Arc::new(AtomicUsize::new(0));
        for n in 0..workers {
            let (receiver, allocated) = (receiver.clone(), allocated.clone());
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(receiver, allocated))
                .map_err(hashing_error)?;
        }
        let pool = Pool {
            jobs: Mutex::new(sender),
            places: Arc::new(Semaphore::new(workers + size.queue)),
            admission_wait: size.admission_wait,
            workers,
            allocated,
            metrics,
        };
        Ok(Self { pool: Arc::new(pool) })
    }

    /// Takes a place in the pool (a worker, or the queue behind them),
    /// waiting for one at most `admission_wait`, else `Busy` (counted). A
    /// sign-in takes it before anything else, so a request the pool could
    /// not serve is shed before it reads, writes or counts as an attempt.
    pub async fn take_place(&self) -> AccountResult<HashingPlace> {
        let places = self.pool.places.clone();
        match tokio::time::timeout(self.pool.admission_wait, places.acquire_owned()).await {
            Ok(Ok(place)) => Ok(HashingPlace(place)),
            // Timed out, or the semaphore closed (never: the pool owns it).
            Ok(Err(_)) | Err(_) => {
                self.pool.metrics.password_work_shed();
                tracing::warn!("password hashing is saturated; this request is shed");
                Err(AccountError::Busy)
            }
        }
    }

    /// Runs `work` on a worker and waits for its answer.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce(&mut Memory) -> T + Send + 'static) -> AccountResult<T> {
        let place = self.take_place().await?;
        self.run_in(place, work).await
    }

    /// Runs `work` on a worker in a place already taken.
    async fn run_in<T: Send + 'static>(
        &self,
        HashingPlace(place): HashingPlace,
        work: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> AccountResult<T> {
        let (answer, answered) = oneshot::channel();
        let work = Box::new(move |memory: &mut Memory| {
            // The request was dropped while this waited: nobody needs the answer.
            if answer.is_closed() {
                return;
            }
            // A send fails only if the request was dropped meanwhile.
            answer.send(work(memory)).ok();
        });
        let job = Job { work, span: Span::current(), _place: place };
        self.pool
            .jobs
            .lock()
            .map_err(hashing_error)?
            .send(job)
            .map_err(|_| AccountError::Hashing("the hashing workers have stopped".into()))?;
        answered.await.map_err(|_| AccountError::Hashing("a hashing worker stopped".into()))
    }

    /// Hashes a new password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    #[tracing::instrument(skip_all)]
    pub async fn hash(&self, password: &NewPassword) -> AccountResult<String> {
        let password = password.secret().clone();
        self.run(move |memory| hash_with(memory, password.expose_secret().as_bytes())).await?
    }

    /// Checks `password` against `stored`, or against the dummy hash when
    /// there is no account, taking the same time either way. `Busy` when
    /// the pool is saturated: nothing was checked.
    pub async fn verify(&self, password: &SecretString, stored: Option<&str>) -> AccountResult<bool> {
        let place = self.take_place().await?;
        self.verify_in(place, password, stored).await
    }

    /// [`Self::verify`] in a place already taken: never `Busy`.
    #[tracing::instrument(skip_all)]
    pub async fn verify_in(
        &self,
        place: HashingPlace,
        password: &SecretString,
        stored: Option<&str>,
    ) -> AccountResult<bool> {
        let account_exists = stored.is_some();
        let hash = stored.unwrap_or(DUMMY_HASH).to_owned();
        let password = password.clone();
        let matched =
            self.run_in(place, move |memory| verify_with(memory, password.expose_secret().as_bytes(), &hash)).await?;
        Ok(matched && account_exists)
    }

    /// Block sets the workers have allocated: never more than the workers.
    #[cfg(test)]
    fn blocks_allocated(&self) -> usize {
        self.pool.allocated.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::PasswordHasher as _;

    use super::*;

    fn hasher(workers: usize, queue: usize) -> (PasswordHasher, Arc<Metrics>) {
        let metrics = Arc::new(Metrics::new());
        // No waiting for a place: a full pool refuses at once.
        let pool = PasswordPool { workers, queue, admission_wait: Duration::ZERO };
        (PasswordHasher::new(pool, metrics.clone()).unwrap(), metrics)
    }

    fn new_password(s: &str) -> NewPassword {
        NewPassword::parse(SecretString::from(s)).unwrap()
    }

    #[tokio::test]
    async fn hashes_verify_and_use_owasp_parameters() {
        let (hasher, _) = hasher(1, 4);
        let hash = hasher.hash(&new_password("correct horse battery")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(hasher.verify(&SecretString::from("correct horse battery"), Some(&hash)).await.unwrap());
        assert!(!hasher.verify(&SecretString::from("wrong horse battery"), Some(&hash)).await.unwrap());
        // The dummy path never authenticates.
        assert!(!hasher.verify(&SecretString::from("correct horse battery"), None).await.unwrap());
        assert!(!hasher.verify(&SecretString::from("x"), Some("not a hash")).await.unwrap());
        // The crate's own verifier agrees with ours.
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(
            argon2::PasswordVerifier::verify_password(&Argon2::default(), b"correct horse battery", &parsed).is_ok()
        );
    }

    #[tokio::test]
    async fn hashes_made_by_the_argon2_crate_verify() {
        let (hasher, _) = hasher(1, 4);
        // How hashes were made before the pool: the crate's `PasswordHasher`.
        let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).unwrap();
        let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password(b"old password").unwrap();
        let old = old.to_string();
        assert!(hasher.verify(&SecretString::from("old password"), Some(&old)).await.unwrap());
        assert!(!hasher.verify(&SecretString::from("old passwore"), Some(&old)).await.unwrap());
        // Other parameters (smaller and larger than ours) verify too.
        for (m, t) in [(8 * 1024, 3), (32 * 1024, 1)] {
            let params = Params::new(m, t, 1, None).unwrap();
            let other = Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password(b"pw").unwrap();
            assert!(hasher.verify(&SecretString::from("pw"), Some(&other.to_string())).await.unwrap(), "m={m}");
        }
    }

    #[test]
    fn the_dummy_hash_has_our_parameters() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(Params::try_from(&parsed).unwrap().block_count(), our_params().unwrap().block_count());
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    }

    #[tokio::test]
    async fn a_full_pool_sheds_past_its_wait() {
        let (hasher, metrics) = hasher(1, 1);
        // Both places (one worker, one in the queue) taken.
        let running = hasher.take_place().await.unwrap();
        let queued = hasher.take_place().await.unwrap();
        let shed = hasher.verify(&SecretString::from("correct horse battery"), None).await;
        assert!(matches!(shed, Err(AccountError::Busy)), "{shed:?}");
        assert!(matches!(hasher.hash(&new_password("correct horse battery")).await, Err(AccountError::Busy)));
        assert!(metrics.render().contains("latchkey_password_work_shed_total 2"), "{}", metrics.render());
        drop((running, queued));
        assert!(!hasher.verify(&SecretString::from("correct horse battery"), None).await.unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn a_place_freed_within_the_wait_is_taken() {
        let metrics = Arc::new(Metrics::new());
        let pool = PasswordPool { workers: 1, queue: 0, admission_wait: Duration::from_secs(1) };
        let hasher = PasswordHasher::new(pool, metrics.clone()).unwrap();
        let running = hasher.take_place().await.unwrap();
        let waiting = tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.take_place().await.map(drop) }
        });
        tokio::time::sleep(Duration::from_millis(900)).await;
        drop(running);
        assert!(waiting.await.unwrap().is_ok(), "freed before the wait ran out");
        let _running = hasher.take_place().await.unwrap();
        let started = tokio::time::Instant::now();
        assert!(matches!(hasher.take_place().await, Err(AccountError::Busy)));
        assert_eq!(started.elapsed(), Duration::from_secs(1), "refused when the wait ran out, not before");
        assert!(metrics.render().contains("latchkey_password_work_shed_total 1"), "{}", metrics.render());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn workers_reuse_their_memory() {
        let (hasher, _) = hasher(2, 64);
        let hash = hasher.hash(&new_password("correct horse battery")).await.unwrap();
        let checks = (0..12).map(|i| {
            let (hasher, hash) = (hasher.clone(), hash.clone());
            tokio::spawn(async move {
                let password = SecretString::from(if i % 2 == 0 { "correct horse battery" } else { "wrong" });
                hasher.verify(&password, Some(&hash)).await.unwrap()
            })
        });
        let mut matched = 0;
        for check in checks.collect::<Vec<_>>() {
            matched += usize::from(check.await.unwrap());
        }
        assert_eq!(matched, 6);
        let allocated = hasher.blocks_allocated();
        assert!((1..=2).contains(&allocated), "{allocated} block sets for 2 workers");
    }
}
