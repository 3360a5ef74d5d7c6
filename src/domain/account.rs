//! Accounts and who is calling: users, their sessions, and the API keys
//! staff tools use.

use std::fmt;

use time::OffsetDateTime;

use super::factors::Acr;
use super::ids::{ApiKeyId, SessionId, UserId};

/// An end user's account.
#[derive(Debug, Clone)]
pub struct User {
    /// The account's id; every token and record names the user by it.
    pub id: UserId,
    /// The sign-in address (normalised).
    pub email: String,
    /// The name the user gave, if any.
    pub name: Option<String>,
    /// When the user last proved they receive mail at `email`.
    pub email_verified_at: Option<OffsetDateTime>,
    /// When the account was created.
    pub created_at: OffsetDateTime,
}

impl User {
    /// Whether the current address is proven.
    pub fn email_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }

    /// How mail and widgets greet the user: their name, else their address.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.email)
    }
}

/// A user together with the stored password hash, for sign-in only.
#[derive(Clone)]
pub struct UserCredentials {
    /// The account.
    pub user: User,
    /// The argon2id PHC string.
    pub password_hash: String,
}

impl fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserCredentials").field("user", &self.user).finish_non_exhaustive()
    }
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct Session {
    /// The session's id (not its token, which is stored only hashed).
    pub id: SessionId,
    /// Whose session it is.
    pub user_id: UserId,
    /// When it began.
    pub created_at: OffsetDateTime,
    /// When it was last used (written at most once a minute).
    pub last_seen_at: OffsetDateTime,
    /// The absolute end of the session.
    pub expires_at: OffsetDateTime,
    /// When the user last proved who they are (sign-in or step-up).
    pub auth_time: OffsetDateTime,
    /// RFC 8176 authentication method references: all it ever proved.
    pub amr: Vec<String>,
    /// How strong its latest proof (sign-in or step-up) was by itself.
    pub proof_acr: Acr,
    /// Where it began.
    pub ip: Option<String>,
    /// Which browser or app began it.
    pub user_agent: Option<String>,
    /// When it was ended, if it was.
    pub revoked_at: Option<OffsetDateTime>,
}

/// The end user behind a live session token.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The session the request came with.
    pub session: Session,
    /// Its user.
    pub user: User,
}

/// What a staff API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyRole {
    /// Everything.
    Admin,
    /// Verify callers and read timelines.
    Support,
}

impl ApiKeyRole {
    /// The role as stored and sent.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Support => "support",
        }
    }

    /// The role named by `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "support" => Some(Self::Support),
            _ => None,
        }
    }
}

/// A staff API key (never the key itself, which is stored only hashed).
#[derive(Debug, Clone)]
pub struct ApiKey {
    /// The key's id.
    pub id: ApiKeyId,
    /// A name to recognise it by in listings.
    pub name: String,
    /// What it may do.
    pub role: ApiKeyRole,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
}

impl ApiKey {
    /// How license events name this key as their actor.
    pub fn actor(&self) -> String {
        format!("admin:{}", self.id)
    }
}
