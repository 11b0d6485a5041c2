-- Failed sign-ins per account name (as typed, trimmed and lower-cased; unknown names too), so
-- that every instance of the service slows the same account down.
CREATE TABLE sign_in_failures (
    account TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure TIMESTAMP NOT NULL
);
