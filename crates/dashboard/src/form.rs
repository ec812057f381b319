//! URL-encoded forms with repeated names (checkbox groups), which `web::Form` cannot hold.

use super::{DashResult, session::Session};
use api_gateway::error::ApiError;

pub struct Pairs(Vec<(String, String)>);

impl Pairs {
    /// Reads the body and checks the session's CSRF token before anything else.
    pub fn read(body: &[u8], s: &Session) -> DashResult<Self> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|e| ApiError::field("", e.to_string()))?;
        let form = Pairs(pairs);
        s.check_csrf(&form.one("csrf_token"))?;
        Ok(form)
    }

    /// The first value of a field, or "".
    pub fn one(&self, name: &str) -> String {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    /// Every value of a field; `None` when there is none (an empty group means "all").
    pub fn many(&self, name: &str) -> Option<Vec<String>> {
        let v: Vec<String> = self.0.iter().filter(|(n, _)| n == name).map(|(_, v)| v.clone()).collect();
        (!v.is_empty()).then_some(v)
    }
}
