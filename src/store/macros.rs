//! Statements shared by several store methods, and the two macros that
//! expand one body per backend (see `sql.rs` for why).

/// Runs `$body` with `$pool` bound to the concrete pool of either backend.
macro_rules! on_pool {
    ($self:expr, |$pool:ident| $body:expr) => {
        match &$self.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` inside a write transaction bound to `$tx`. The body's answer
/// (its value, or what it `return`s early) commits when it is `Ok`; an `Err`
/// rolls back. The body runs as an async block, so an early `return` ends
/// the body, not the enclosing function: it cannot skip the commit. SQLite
/// takes the write lock up front (`BEGIN IMMEDIATE`): a deferred transaction
/// that reads and then writes can fail with SQLITE_BUSY at the upgrade,
/// which the busy timeout does not retry.
macro_rules! in_tx {
    ($self:expr, |$tx:ident| $body:expr) => {
        in_tx_deciding!($self, |$tx| {
            let answer: StoreResult<_> = async { $body }.await;
            answer.map($crate::store::sql::Decided::Commit)
        })
    };
}

/// Like `in_tx!`, for a body that decides itself whether its writes stand:
/// it answers `Decided::Commit(value)` or `Decided::Rollback(value)`, and
/// either way the value is the answer. Once it has settled, this instance's
/// cached facts are checked against the database again before use.
macro_rules! in_tx_deciding {
    ($self:expr, |$tx:ident| $body:expr) => {{
        let settled = match &$self.pool {
            Pool::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let decided: StoreResult<$crate::store::sql::Decided<_>> = async { $body }.await;
                $crate::store::sql::settle($tx, decided?).await
            }
            Pool::Postgres(pool) => {
                let mut $tx = Box::new(pool.begin().await?);
                let decided: StoreResult<$crate::store::sql::Decided<_>> = async { $body }.await;
                $crate::store::sql::settle($tx.into_inner(), decided?).await
            }
        };
        $self.marks.wrote();
        settled
    }};
}

/// Inserts a `NewSession` (its `amr` already JSON) with `$executor`.
macro_rules! insert_session {
    ($session:expr, $amr:expr, $executor:expr) => {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at, auth_time, amr, ip, user_agent, proof_acr) \
             VALUES ($1, $2, $3, $4, $4, $5, $4, $6, $7, $8, $9)",
        )
        .bind(&$session.id)
        .bind(&$session.user_id)
        .bind(&$session.token_hash)
        .bind(to_millis($session.now))
        .bind(to_millis($session.expires_at))
        .bind($amr)
        .bind(&$session.ip)
        .bind(&$session.user_agent)
        .bind($crate::domain::factors::Acr::of(&$session.amr).as_str())
        .execute($executor)
        .await
        .map_err(|e| unique_violation(e, $crate::store::Duplicate::RandomValue))?
        .rows_affected()
    };
}

/// Puts a `NewEvent` on the user's timeline with `$executor`, and queues the
/// notice its kind calls for in the same transaction: a security event and
/// its mail are written together or not at all.
macro_rules! insert_user_event {
    ($event:expr, $executor:expr) => {{
        let inserted = sqlx::query(
            "INSERT INTO user_events (id, user_id, kind, detail, ip, user_agent, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&$event.id)
        .bind(&$event.user_id)
        .bind($event.kind.as_str())
        .bind($event.detail.to_string())
        .bind(&$event.ip)
        .bind(&$event.user_agent)
        .bind(to_millis($event.at))
        .execute($executor)
        .await?
        .rows_affected();
        if let Some(mail) = $crate::store::notice_of(&$event) {
            insert_mail!(mail, $executor);
        }
        inserted
    }};
}

/// Queues `$mail` with `$executor` (a transaction, to be atomic with what
/// caused it); the recipient defaults to the user's address at that moment.
macro_rules! insert_mail {
    ($mail:expr, $executor:expr) => {
        sqlx::query(
            "INSERT INTO outbox (id, kind, user_id, recipient, detail, created_at, next_attempt_at) \
             SELECT $1, $2, id, COALESCE($3, email), $4, $5, $5 FROM users WHERE id = $6",
        )
        .bind(&$mail.id)
        .bind($mail.kind.as_str())
        .bind(&$mail.recipient)
        .bind($mail.detail.to_string())
        .bind($crate::store::to_millis($mail.at))
        .bind(&$mail.user_id)
        .execute($executor)
        .await?
    };
}

/// Replaces the user's recovery codes with `$hashes` inside transaction `$tx`.
macro_rules! replace_recovery_codes {
    ($tx:ident, $user_id:expr, $hashes:expr, $now:expr) => {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind($user_id).execute(&mut *$tx).await?;
        for hash in $hashes {
            sqlx::query("INSERT INTO recovery_codes (id, user_id, code_hash, created_at) VALUES ($1, $2, $3, $4)")
                .bind($crate::domain::ids::new_id())
                .bind($user_id)
                .bind(hash)
                .bind(to_millis($now))
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// Ends the user's sessions, other than `$keep`, that no second factor went
/// into (no `mfa` in their `amr`), with `$executor`. A new factor must
/// protect the account at once: a session a thief opened with the password
/// alone would otherwise live on for weeks.
macro_rules! end_sessions_without_second_factor {
    ($user_id:expr, $keep:expr, $at:expr, $executor:expr) => {
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL \
             AND amr NOT LIKE '%\"mfa\"%'",
        )
        .bind(to_millis($at))
        .bind($user_id)
        .bind($keep)
        .execute($executor)
        .await?
    };
}

/// Inserts a `NewUser` and its sign-up event (which queues the verification
/// mail) with `$executor`; `Duplicate(Email)` when the address is taken.
macro_rules! insert_new_user {
    ($user:expr, $executor:expr) => {{
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&$user.id)
        .bind(&$user.email)
        .bind(&$user.name)
        .bind(&$user.password_hash)
        .bind(to_millis($user.now))
        .execute($executor)
        .await
        .map_err(|e| unique_violation(e, Duplicate::Email))?;
        let signed_up = $user.signed_up();
        insert_user_event!(signed_up, $executor);
    }};
}

/// Inserts a `NewGrant` (its `amr` already JSON) with `$executor`.
macro_rules! insert_grant {
    ($grant:expr, $amr:expr, $seat:expr, $executor:expr) => {
        sqlx::query(
            "INSERT INTO oauth_grants (id, client_id, user_id, scope, auth_time, amr, created_at, expires_at, \
             authorization_details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&$grant.id)
        .bind(&$grant.client_id)
        .bind(&$grant.user_id)
        .bind(&$grant.scope)
        .bind($crate::store::to_millis($grant.auth_time))
        .bind($amr)
        .bind($crate::store::to_millis($grant.created_at))
        .bind($crate::store::to_millis($grant.expires_at))
        .bind($seat)
        .execute($executor)
        .await
        .map_err(|e| $crate::store::sql::unique_violation(e, $crate::store::Duplicate::RandomValue))?
    };
}

/// Writes an app's grant (its `amr` and `seat` already JSON) with `$tx`, and
/// how it reaches the app: its authorization code, or the approval of the
/// pending device request. `false` when the device request was no longer
/// pending (decided elsewhere, or expired): the caller rolls back.
macro_rules! write_grant {
    ($via:expr, $grant:expr, $amr:expr, $seat:expr, $tx:ident, $now:expr) => {{
        insert_grant!($grant, $amr, $seat, &mut *$tx);
        match $via {
            $crate::store::GrantVia::Code(code) => {
                sqlx::query(
                    "INSERT INTO oauth_codes (code_hash, grant_id, redirect_uri, code_challenge, nonce, expires_at, \
                     dpop_jkt) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&code.code_hash)
                .bind(&$grant.id)
                .bind(&code.redirect_uri)
                .bind(&code.code_challenge)
                .bind(&code.nonce)
                .bind($crate::store::to_millis(code.expires_at))
                .bind(&code.dpop_jkt)
                .execute(&mut *$tx)
                .await
                .map_err(|e| $crate::store::sql::unique_violation(e, $crate::store::Duplicate::RandomValue))?;
                true
            }
            $crate::store::GrantVia::Device { user_code_hash } => {
                sqlx::query(
                    "UPDATE oauth_device_requests SET status = 'approved', grant_id = $1 \
                     WHERE user_code_hash = $2 AND status = 'pending' AND expires_at > $3",
                )
                .bind(&$grant.id)
                .bind(user_code_hash)
                .bind($crate::store::to_millis($now))
                .execute(&mut *$tx)
                .await?
                .rows_affected()
                    == 1
            }
        }
    }};
}
