-- 001_initial.sql: the first fedscan schema.
--
-- How migrations work: build-aux/embed-sql.sh compiles db/migrations/NNN_*.sql
-- into the binary; src/store.c runs each missing one inside a single
-- BEGIN IMMEDIATE transaction together with "PRAGMA user_version = NNN", so a
-- migration is applied completely or not at all. A migration file therefore
-- never contains BEGIN, COMMIT or PRAGMA user_version itself, and a released
-- migration is never edited: changes go into a new, higher-numbered file.
--
-- Conventions:
-- - Words are the contract vocabulary of fedscan(1), spelled exactly as printed
--   (Required/Optional/NotSupported/Unknown, True/False, "SASL over TLS"...);
--   CHECK constraints keep anything else out, so reports and diffs can compare
--   strings without normalising them.
-- - Times are ISO 8601 UTC with milliseconds ("2024-05-01T02:00:00.123Z"),
--   which sort correctly as text.
-- - *_json columns hold JSON text (checked with json_valid); they keep what the
--   columns beside them summarise, so nothing the tool printed is lost.
-- - Booleans are 0/1. NULL means "not known / not in the result"; the store
--   also writes NULL where the evidence has "" (its spelling of "not seen"),
--   so "stream_error IS NOT NULL" finds the connections that had one.
-- - Tables are STRICT (SQLite 3.37+): a value of the wrong type is an error,
--   not a silent conversion.
-- SQLite keeps the comments inside CREATE TABLE in sqlite_master, so
-- "sqlite3 fedscan.db .schema" shows the column notes below as well.

-- One run of fedscan that records results: "fedscan check", a "fedscan scan"
-- (cron) or a passive "fedscan pcap" analysis.
CREATE TABLE scans (
	id              INTEGER PRIMARY KEY,
	kind            TEXT NOT NULL
	                CHECK (kind IN ('check', 'scan', 'passive')),
	started_at      TEXT NOT NULL
	                DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	finished_at     TEXT,             -- NULL while running, or if the process died
	complete        INTEGER NOT NULL DEFAULT 0
	                CHECK (complete IN (0, 1)),
	                                  -- 1 only when every target was done; an
	                                  -- interrupted scan stays 0 and keeps its rows
	fedscan_version TEXT NOT NULL,
	-- The local policy the partners were judged against ("local" in the JSON).
	local_tls       TEXT CHECK (local_tls IN ('Required', 'Optional', 'NotSupported')),
	local_sasl      TEXT CHECK (local_sasl IN ('Required', 'Optional', 'NotSupported')),
	local_dialback  TEXT CHECK (local_dialback IN ('True', 'False')),
	local_row       INTEGER CHECK (local_row BETWEEN 1 AND 18),
	                                  -- row of data/negotiation-matrix.tsv
	policy_json     TEXT CHECK (policy_json IS NULL OR json_valid(policy_json)),
	                                  -- the whole "local" object as printed
	CHECK (complete = 0 OR finished_at IS NOT NULL)
) STRICT;

CREATE INDEX scans_started ON scans (started_at);

-- One partner domain's result in one scan: a row per partner object of the
-- JSON output, written in one transaction with its endpoints and connections.
CREATE TABLE domains (
	id              INTEGER PRIMARY KEY,
	scan_id         INTEGER NOT NULL
	                REFERENCES scans (id) ON DELETE CASCADE,
	domain          TEXT NOT NULL,
	verdict         TEXT NOT NULL
	                CHECK (verdict IN ('compatible', 'degraded', 'incompatible',
	                                   'unreachable', 'error')),
	-- The partner's inferred effective setting ("effective" in the JSON).
	tls             TEXT CHECK (tls IN ('Required', 'Optional', 'NotSupported', 'Unknown')),
	sasl            TEXT CHECK (sasl IN ('Required', 'Optional', 'NotSupported', 'Unknown')),
	dialback        TEXT CHECK (dialback IN ('True', 'False', 'Unknown')),
	negotiated      TEXT CHECK (negotiated IN ('SASL over TLS', 'TLS Dialback', 'TCP Dialback')),
	                                  -- NULL: no common method, or not decided
	methods         TEXT CHECK (methods IS NULL OR json_valid(methods)),
	                                  -- JSON array: the partner's method set
	reasons_json    TEXT CHECK (reasons_json IS NULL OR json_valid(reasons_json)),
	                                  -- JSON array of the verdict's reasons
	evidence_json   TEXT CHECK (evidence_json IS NULL OR json_valid(evidence_json)),
	                                  -- JSON array: the evidence lines that
	                                  -- decided the inference
	result_json     TEXT NOT NULL CHECK (json_valid(result_json)),
	                                  -- the whole partner object as printed
	duration_ms     INTEGER,
	recorded_at     TEXT NOT NULL
	                DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

-- "The last result for example.org" (diff, report, alerts): domain, newest id.
CREATE INDEX domains_domain ON domains (domain, id);
-- "Every partner of scan N" (report), and the ON DELETE CASCADE from scans.
CREATE INDEX domains_scan ON domains (scan_id);

-- One endpoint of a domain: an SRV target, an address, or the fallback.
CREATE TABLE endpoints (
	id              INTEGER PRIMARY KEY,
	domain_id       INTEGER NOT NULL
	                REFERENCES domains (id) ON DELETE CASCADE,
	host            TEXT,             -- SRV target or the domain itself
	port            INTEGER,
	address         TEXT,             -- numeric IPv4 or IPv6
	source          TEXT CHECK (source IN ('srv', 'srv-tls', 'fallback', 'connect')),
	                                  -- connect: given with --connect
	priority        INTEGER,          -- SRV priority and weight (RFC 2782)
	weight          INTEGER,
	reachable       INTEGER CHECK (reachable IN (0, 1))
) STRICT;

CREATE INDEX endpoints_domain ON endpoints (domain_id);
CREATE INDEX endpoints_address ON endpoints (address);

-- A server certificate seen on any connection, once per fingerprint.
CREATE TABLE certificates (
	sha256          TEXT NOT NULL PRIMARY KEY,
	                                  -- hex fingerprint of the leaf, as in the evidence
	subject         TEXT,
	issuer          TEXT,
	sans            TEXT,             -- "DNS:a.example, SRV:_xmpp-server.example, ..."
	not_before      TEXT,
	not_after       TEXT,
	key             TEXT,             -- "RSA 2048", "EC prime256v1"
	first_seen_scan INTEGER
	                REFERENCES scans (id) ON DELETE SET NULL
) STRICT;

CREATE INDEX certificates_first_seen ON certificates (first_seen_scan);

-- One probe connection to an endpoint (doc/protocol.md#connections: C1..C4).
-- The columns summarise; evidence_json is the probe's raw evidence object.
CREATE TABLE connections (
	id              INTEGER PRIMARY KEY,
	endpoint_id     INTEGER NOT NULL
	                REFERENCES endpoints (id) ON DELETE CASCADE,
	kind            TEXT CHECK (kind IN ('starttls', 'plain', 'direct-tls', 'starttls-nocert')),
	                                  -- fs_conn_kind_name() in evidence.h
	connected       INTEGER CHECK (connected IN (0, 1)),
	tls_version     TEXT,             -- "TLSv1.3"
	tls_cipher      TEXT,
	cert_sha256     TEXT REFERENCES certificates (sha256),
	stream_error    TEXT,             -- last stream error condition, as received
	dialback_result TEXT CHECK (dialback_result IN ('not-sent', 'valid', 'invalid', 'error',
	                                                'stream-error', 'closed', 'timeout')),
	                                  -- fs_db_ev_name() in evidence.h
	sasl_result     TEXT CHECK (sasl_result IN ('not-tried', 'success', 'failure', 'no-answer')),
	                                  -- SASL EXTERNAL outcome (src/evjson.c)
	close_reason    TEXT,
	bytes_in        INTEGER,
	bytes_out       INTEGER,
	duration_ms     INTEGER,
	evidence_json   TEXT NOT NULL CHECK (json_valid(evidence_json))
	                                  -- compact, keys sorted
) STRICT;

CREATE INDEX connections_endpoint ON connections (endpoint_id);
CREATE INDEX connections_cert ON connections (cert_sha256);
