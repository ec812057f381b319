//! The moves every message asks for (`post.accepted` → scheduled, `delivery.settled` →
//! perhaps completed), gathered into one statement each.
//!
//! Each message is its own task (the consumer's prefetch lets 64 run), and each move was
//! its own statement and its own commit: under S1a the scheduler's move was 38 % of
//! PostgreSQL's execution time, and the backends queued on the WAL flush (62 % of wait
//! samples `LWLock:WALWrite`). Here a task hands its move to a runner and waits; a runner
//! takes every move waiting at that moment, up to `MOST`, and runs them as one statement,
//! so a busy moment costs one commit, and a quiet one (a single move waiting) waits for
//! nothing. Each task acks its message after the commit that holds its move, as before.

use std::sync::Arc;

use store::transitions::posts::{Move, Moved};
use tokio::sync::{Mutex, mpsc, oneshot};

/// The most moves in one statement (eleven arrays of this length are bound).
const MOST: usize = 256;
/// Runners per kind of move: while one statement waits on its commit, the next gathers.
const RUNNERS: usize = 2;
/// Connections for both kinds' runners and the relay.
pub const CONNECTIONS: usize = 2 * RUNNERS + 1;

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Schedule,
    Complete,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Schedule => "schedule",
            Kind::Complete => "complete",
        }
    }
}

/// What a task learns of its move: done (moved, or found moved or not movable), or the
/// statement's error, to retry the message on.
type Answer = Result<(), String>;

struct Job {
    mv: Move,
    answer: oneshot::Sender<Answer>,
}

pub struct Gather {
    jobs: mpsc::Sender<Job>,
}

impl Gather {
    /// Starts the runners; `moved` is told of every post a statement moved, after its commit.
    pub fn start(kind: Kind, pool: store::Pool, moved: impl Fn(&[Moved]) + Send + Sync + 'static) -> Self {
        let (jobs, queue) = mpsc::channel(MOST * RUNNERS);
        let queue = Arc::new(Mutex::new(queue));
        let moved = Arc::new(moved);
        for _ in 0..RUNNERS {
            tokio::spawn(run(kind, pool.clone(), queue.clone(), moved.clone()));
        }
        Gather { jobs }
    }

    /// Moves the post, with others waiting at the same moment; returns after the commit.
    pub async fn apply(&self, mv: Move) -> Answer {
        let (answer, told) = oneshot::channel();
        self.jobs.send(Job { mv, answer }).await.map_err(|_| "the move runners stopped".to_owned())?;
        told.await.map_err(|_| "the move runner stopped before answering".to_owned())?
    }
}

async fn run<F: Fn(&[Moved]) + Send + Sync>(
    kind: Kind,
    pool: store::Pool,
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
    moved: Arc<F>,
) {
    loop {
        let mut jobs = Vec::new();
        {
            let mut queue = queue.lock().await;
            let Some(first) = queue.recv().await else { return };
            jobs.push(first);
            while jobs.len() < MOST {
                match queue.try_recv() {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
        }
        let (moves, answers): (Vec<Move>, Vec<oneshot::Sender<Answer>>) =
            jobs.into_iter().map(|j| (j.mv, j.answer)).unzip();
        metrics::histogram!("postmantis_scheduler_moves_per_statement", "kind" => kind.label())
            .record(moves.len() as f64);
        match statement(kind, &pool, &moves).await {
            Ok(done) => {
                moved(&done);
                for a in answers {
                    let _ = a.send(Ok(()));
                }
            }
            // One at a time, so that whatever failed holds back only its own message.
            Err(e) if moves.len() > 1 => {
                tracing::warn!(?kind, error = %e, moves = moves.len(), "gathered moves failed; each alone");
                for (mv, a) in moves.iter().zip(answers) {
                    let result = statement(kind, &pool, std::slice::from_ref(mv)).await;
                    if let Ok(done) = &result {
                        moved(done);
                    }
                    let _ = a.send(result.map(|_| ()).map_err(|e| e.to_string()));
                }
            }
            Err(e) => {
                for a in answers {
                    let _ = a.send(Err(e.to_string()));
                }
            }
        }
    }
}

async fn statement(kind: Kind, pool: &store::Pool, moves: &[Move]) -> Result<Vec<Moved>, store::StoreError> {
    let mut conn = pool.get().await?;
    match kind {
        Kind::Schedule => store::transitions::posts::schedule_logged(&mut conn, moves).await,
        Kind::Complete => store::transitions::posts::complete_logged(&mut conn, moves).await,
    }
}
