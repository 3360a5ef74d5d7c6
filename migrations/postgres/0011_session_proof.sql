-- How strong the session's latest proof was by itself (`password`, `mfa`
-- or `phishing_resistant`): its sign-in, or its latest step-up. `amr` keeps
-- everything the session ever proved; weakening the account (removing a
-- factor, moving the address) asks what the latest proof showed, so a
-- passkey session that stepped up with a recovery code is not treated as
-- if the passkey had been shown again. NULL for sessions from before: read
-- as the level of their `amr`.
ALTER TABLE sessions ADD COLUMN proof_acr TEXT;
