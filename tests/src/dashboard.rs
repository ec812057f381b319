//! A person at the dashboard, played over plain HTTP: a cookie jar, sign-in, and the CSRF
//! token the pages carry. The browser tests drive real Chromium; this drives the same
//! pages where only the HTTP exchange matters.

use reqwest::{StatusCode, redirect::Policy};

pub struct Dashboard {
    pub http: reqwest::Client,
    pub base: String,
}

pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    /// The `Set-Cookie` headers, as sent.
    pub set_cookie: Vec<String>,
    pub body: String,
}

impl Dashboard {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).build().unwrap();
        Self { http, base: base.to_owned() }
    }

    pub async fn get(&self, path: &str) -> Answer {
        let r = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        Self::answer(r).await
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let r = self.http.post(format!("{}{path}", self.base)).form(form).send().await.unwrap();
        Self::answer(r).await
    }

    async fn answer(r: reqwest::Response) -> Answer {
        let status = r.status();
        let location = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let set_cookie =
            r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect();
        Answer { status, location, set_cookie, body: r.text().await.unwrap() }
    }

    /// Sends a form of a page people see before they are signed in (sign-in, sign-up, an
    /// invitation): opens the page first, for its cookie and form token, as a browser does.
    pub async fn public_form(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut page = self.get(path.split('?').next().unwrap_or(path)).await;
        if page.status.is_redirection() || !page.body.contains("name=\"csrf_token\"") {
            // The page sends people elsewhere or shows no form (sign-up once someone exists,
            // a used invitation): a form posted anyway carries the sign-in page's token.
            page = self.get("/dashboard/login").await;
        }
        let token = Self::token_in(&page.body);
        let mut fields = vec![("csrf_token", token.as_str())];
        fields.extend_from_slice(form);
        self.post_form(path, &fields).await
    }

    fn token_in(page: &str) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = page.find(marker).unwrap_or_else(|| panic!("no CSRF token on the page: {page}")) + marker.len();
        page[start..start + 64].to_owned()
    }

    /// Signs in and asserts it worked.
    pub async fn sign_in(&self, email: &str, password: &str) {
        let a = self.public_form("/dashboard/login", &[("email", email), ("password", password)]).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        assert_eq!(a.location.as_deref(), Some("/dashboard/posts"), "sign-in refused");
    }

    /// The CSRF token of the signed-in session, read off a page.
    pub async fn csrf(&self) -> String {
        Self::token_in(&self.get("/dashboard/posts").await.body)
    }
}
