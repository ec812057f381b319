//! The sim is a library: a test can run it in its own process on port 0.

#![allow(clippy::unwrap_used)]

#[actix_web::test]
async fn provider_sim_runs_in_process_on_a_listener_it_is_given() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = provider_sim::run(listener, url.clone()).unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let health: serde_json::Value = reqwest::get(format!("{url}/healthz")).await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    handle.stop(true).await;
}
