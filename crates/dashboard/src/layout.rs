//! The page shell, shared bits of markup, and the headers every dashboard answer carries.

use actix_web::{
    Error, HttpRequest, HttpResponse,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::Next,
};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};

use super::{
    flash::{self, Flash},
    session::Session,
};

/// No framing, no sniffing, no caching of pages that show secrets, scripts only from here.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data: https: http:; style-src 'self'; script-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

const NAV: &[(&str, &str, &str)] = &[
    ("posts", "/dashboard/posts", "Posts"),
    ("compose", "/dashboard/compose", "Compose"),
    ("review", "/dashboard/review", "Review"),
    ("calendar", "/dashboard/calendar", "Calendar"),
    ("campaigns", "/dashboard/campaigns", "Campaigns"),
    ("analytics", "/dashboard/analytics", "Analytics"),
    ("inbox", "/dashboard/inbox", "Inbox"),
    ("feeds", "/dashboard/feeds", "Feeds"),
    ("profiles", "/dashboard/profiles", "Profiles"),
    ("keys", "/dashboard/keys", "API keys"),
    ("log", "/dashboard/log", "Publishing Log"),
    ("health", "/dashboard/health", "Publishing health"),
    ("webhooks", "/dashboard/webhooks", "Webhooks"),
    ("team", "/dashboard/team", "Team"),
];

pub struct Page<'a> {
    pub title: &'a str,
    pub nav: &'a str,
    /// Seconds between reloads, for pages watching work in flight.
    pub refresh: Option<u32>,
}

impl<'a> Page<'a> {
    pub fn new(title: &'a str, nav: &'a str) -> Self {
        Self { title, nav, refresh: None }
    }
}

fn head(title: &str, refresh: Option<u32>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            @if let Some(s) = refresh { meta http-equiv="refresh" content=(s); }
            title { (title) " · PostMantis" }
            link rel="stylesheet" href="/dashboard/app.css";
            script src="/dashboard/app.js" defer {}
        }
    }
}

fn flash_box(f: &Option<Flash>) -> Markup {
    html! {
        @match f {
            Some(Flash::Notice(t)) => div.flash.notice role="status" { (t) },
            Some(Flash::Error(t)) => div.flash.error role="alert" { (t) },
            None => {},
        }
    }
}

/// A signed-in page.
pub fn page(req: &HttpRequest, s: &Session, p: Page<'_>, body: Markup) -> HttpResponse {
    let f = flash::take(req);
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(p.title, p.refresh))
            body {
                header.top {
                    a.brand href="/dashboard/posts" { "PostMantis" }
                    nav {
                        @for (key, href, label) in NAV.iter().filter(|(k, _, _)| s.role != "client" || matches!(*k, "posts" | "review")) {
                            a href=(href) class=[(*key == p.nav).then_some("active")] { (label) }
                        }
                    }
                    div.who {
                        span.workspace data-test="workspace" { (s.row.workspace_name) }
                        span.email { (s.row.email) }
                        form method="post" action="/dashboard/logout" {
                            (csrf(s))
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                main {
                    h1 { (p.title) }
                    (flash_box(&f))
                    (body)
                }
            }
        }
    };
    respond(markup, f.is_some())
}

/// A page for people not signed in (sign-in, sign-up, invitations).
pub fn public(req: &HttpRequest, title: &str, body: Markup) -> HttpResponse {
    let f = flash::take(req);
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, None))
            body.public {
                main.narrow {
                    p.brand { "PostMantis" }
                    h1 { (title) }
                    (flash_box(&f))
                    (body)
                }
            }
        }
    };
    respond(markup, f.is_some())
}

fn respond(markup: Markup, had_flash: bool) -> HttpResponse {
    let mut resp = HttpResponse::Ok().content_type("text/html; charset=utf-8").body(markup.into_string());
    if had_flash {
        flash::clear(&mut resp);
    }
    resp
}

/// A page with only a message (errors).
pub fn bare(title: &str, message: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, None))
            body.public { main.narrow { p.brand { a href="/dashboard" { "PostMantis" } } h1 { (title) } p.error { (message) } } }
        }
    }
}

pub fn csrf(s: &Session) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(s.csrf()); }
}

/// A one-button form that posts to `action` (cancel, revoke, retry …).
pub fn button_form(s: &Session, action: &str, label: &str, class: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf(s))
            button type="submit" class=(class) { (label) }
        }
    }
}

/// A time in UTC, with the exact instant for the tooltip.
pub fn when(t: Option<DateTime<Utc>>) -> Markup {
    html! {
        @match t {
            Some(t) => time datetime=(t.to_rfc3339()) title=(t.to_rfc3339()) { (t.format("%Y-%m-%d %H:%M:%S UTC")) },
            None => span.muted { "—" },
        }
    }
}

pub fn badge(text: &str) -> Markup {
    html! { span class={ "badge " (text.to_ascii_lowercase().replace(' ', "-")) } { (text) } }
}

/// The platform and profile pickers of the list pages' filter forms.
pub fn platform_and_profile_filters(
    provider: Option<domain::Provider>,
    profiles: &[(store::models::ProfileRow, i64)],
    profile: Option<domain::ProfileId>,
) -> Markup {
    html! {
        label { "Platform" select name="provider" {
            option value="" { "any" }
            @for p in domain::Provider::ALL { option value=(p.as_str()) selected[provider == Some(*p)] { (p.display_name()) } }
        } }
        label { "Profile" select name="profile_id" {
            option value="" { "any" }
            @for (p, _) in profiles { option value=(p.id) selected[profile == Some(p.id)] { (p.name) " (" (p.provider) ")" } }
        } }
    }
}
