//! One message carried across a redirect in a short-lived cookie, shown once (on the
//! dashboard and on review links' pages, so the cookie's path is the root).

use actix_web::{
    HttpRequest, HttpResponse,
    cookie::{Cookie, SameSite, time::Duration},
    http::header,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const COOKIE: &str = "pm_flash";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flash {
    Notice(String),
    Error(String),
}

pub fn redirect(to: &str, flash: Flash) -> HttpResponse {
    let (tag, text) = match &flash {
        Flash::Notice(t) => ("n", t),
        Flash::Error(t) => ("e", t),
    };
    let value = format!("{tag}{}", URL_SAFE_NO_PAD.encode(text.as_bytes()));
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .cookie(Cookie::build(COOKIE, value).path("/").http_only(true).same_site(SameSite::Lax).finish())
        .finish()
}

/// The message waiting for this request, if any.
pub fn take(req: &HttpRequest) -> Option<Flash> {
    let c = req.cookie(COOKIE)?;
    let v = c.value();
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(v.get(1..)?).ok()?).ok()?;
    match v.as_bytes().first()? {
        b'n' => Some(Flash::Notice(text)),
        b'e' => Some(Flash::Error(text)),
        _ => None,
    }
}

/// Removes the message once shown.
pub fn clear(resp: &mut HttpResponse) {
    let _ = resp.add_cookie(&Cookie::build(COOKIE, "").path("/").max_age(Duration::ZERO).finish());
}
