//! The provider catalogue: the ids of the contract and what each one is called.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    X,
    Linkedin,
    Youtube,
    Instagram,
    Tiktok,
    Facebook,
    Threads,
    Pinterest,
    Bluesky,
    Mastodon,
    Reddit,
    Dribbble,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown provider `{0}`")]
pub struct UnknownProvider(pub String);

impl Provider {
    pub const ALL: &'static [Provider] = &[
        Provider::X,
        Provider::Linkedin,
        Provider::Youtube,
        Provider::Instagram,
        Provider::Tiktok,
        Provider::Facebook,
        Provider::Threads,
        Provider::Pinterest,
        Provider::Bluesky,
        Provider::Mastodon,
        Provider::Reddit,
        Provider::Dribbble,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::X => "x",
            Provider::Linkedin => "linkedin",
            Provider::Youtube => "youtube",
            Provider::Instagram => "instagram",
            Provider::Tiktok => "tiktok",
            Provider::Facebook => "facebook",
            Provider::Threads => "threads",
            Provider::Pinterest => "pinterest",
            Provider::Bluesky => "bluesky",
            Provider::Mastodon => "mastodon",
            Provider::Reddit => "reddit",
            Provider::Dribbble => "dribbble",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Provider::X => "X",
            Provider::Linkedin => "LinkedIn",
            Provider::Youtube => "YouTube",
            Provider::Instagram => "Instagram",
            Provider::Tiktok => "TikTok",
            Provider::Facebook => "Facebook",
            Provider::Threads => "Threads",
            Provider::Pinterest => "Pinterest",
            Provider::Bluesky => "Bluesky",
            Provider::Mastodon => "Mastodon",
            Provider::Reddit => "Reddit",
            Provider::Dribbble => "Dribbble",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Provider {
    type Err = UnknownProvider;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::ALL.iter().copied().find(|p| p.as_str() == s).ok_or_else(|| UnknownProvider(s.to_owned()))
    }
}

// Stored as its id (`x`, `linkedin`, …), as the contract names it.
#[cfg(feature = "diesel")]
impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for Provider {
    fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
        <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(self.as_str(), out)
    }
}

#[cfg(feature = "diesel")]
impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for Provider {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(value)?;
        Ok(text.parse()?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_match_serde() {
        assert_eq!(Provider::ALL.len(), 12);
        for p in Provider::ALL {
            assert_eq!(p.as_str().parse::<Provider>(), Ok(*p));
            assert_eq!(serde_json::to_value(p).unwrap(), serde_json::json!(p.as_str()));
        }
        assert_eq!("twitter".parse::<Provider>(), Err(UnknownProvider("twitter".into())));
    }
}
