//! A TCP proxy in front of RabbitMQ or PostgreSQL that a test can switch off: every
//! connection through it drops and new ones are refused, which is what the services see
//! when the server stops — without stopping the server the other tests share.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    open: Arc<AtomicUsize>,
    cut: watch::Sender<u64>,
}

/// Counts a proxied connection as open until its task ends, however it ends.
struct Open(Arc<AtomicUsize>);

impl Open {
    fn new(open: &Arc<AtomicUsize>) -> Open {
        open.fetch_add(1, Ordering::SeqCst);
        Open(open.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Proxy {
    pub async fn start(target: &'static str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open = Arc::new(AtomicUsize::new(0));
        let (cut, _) = watch::channel(0u64);
        let (u, o, c) = (up.clone(), open.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { continue };
                // Subscribed before `up` is read: a cut between the two still reaches this
                // connection, which would otherwise outlive the cut unseen.
                let mut cut_rx = c.subscribe();
                if !u.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let guard = Open::new(&o);
                tokio::spawn(async move {
                    let _guard = guard;
                    let Ok(server) = TcpStream::connect(target).await else { return };
                    // Without this, Nagle + delayed ACKs add ~40 ms to every AMQP round trip.
                    let _ = (client.set_nodelay(true), server.set_nodelay(true));
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        Proxy { port, up, open, cut }
    }

    /// Drops every open connection and refuses new ones until `restore`. Returns once every
    /// proxied connection is closed: a test that acts right after a cut must not race a
    /// connection task that has not yet seen it (under a loaded suite that took long enough
    /// for a write to reach the server "during" the outage).
    pub async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.open.load(Ordering::SeqCst) > 0 {
            assert!(std::time::Instant::now() < deadline, "proxied connections still open 10 s after the cut");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}
