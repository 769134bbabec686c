-- 004_content_addressed.sql: what every scan repeats is stored once.
--
-- Up to schema 3, a scan in which nothing changed at a partner stored all of
-- it again: about 16.5 KB per partner per scan, mostly each connection's
-- evidence (bench/README.md, "Database size"). From schema 4 on:
--
-- - A JSON text is split into its constant part and the few fields that
--   change on every run although nothing changed at the partner (the peer's
--   stream ids, our source port in "stream", durations, byte counts, dialback
--   waits: src/store/cas.c lists them). The constant part is stored once,
--   keyed by the SHA-256 of its bytes; each scan keeps a reference and a
--   short JSON array of the varying values ("vary", by position in that list;
--   NULL when none). Certificates stay in certificates, once per fingerprint.
-- - evidence: one row per distinct constant connection evidence, with the
--   summary columns connections had; blobs: every other repeated JSON text
--   (a result without its varying fields, methods, reasons, evidence lines).
-- - domain_rows and connection_rows are what each scan adds: small rows of
--   references. domains and connections become views with the columns and
--   values the tables had, so SQL written for schema 3 reads the same
--   (evidence_json and result_json are put back with json_replace). The
--   views take DELETE and an UPDATE of result_json (a result edited by hand
--   is kept whole in domain_rows.result_json and read as it is).
-- - Nothing refers to blobs or evidence through a foreign key: rows no scan
--   uses any more are swept by prune and by the retention after each scan,
--   which then return the free pages to the file system (auto_vacuum =
--   INCREMENTAL, set by fedscan with a VACUUM right after this migration).
--
-- The migration needs fs_sha256(), fs_constant() and fs_vary(), which fedscan
-- defines on its connections (src/store/cas.c): the same split as the writer.
-- It runs in one transaction like every migration: killed midway, the file
-- keeps schema 3 whole.

CREATE TABLE blobs (
	id              INTEGER PRIMARY KEY,
	sha256          BLOB NOT NULL UNIQUE CHECK (length(sha256) = 32),
	                                  -- SHA-256 of json's bytes
	json            TEXT NOT NULL CHECK (json_valid(json))
) STRICT;

-- One distinct connection evidence (its constant part); the columns summarise it.
CREATE TABLE evidence (
	id              INTEGER PRIMARY KEY,
	sha256          BLOB NOT NULL UNIQUE CHECK (length(sha256) = 32),
	kind            TEXT CHECK (kind IN ('starttls', 'plain', 'direct-tls', 'starttls-nocert', 'dialback-cert')),
	connected       INTEGER CHECK (connected IN (0, 1)),
	tls_version     TEXT,
	tls_cipher      TEXT,
	cert_sha256     TEXT REFERENCES certificates (sha256),
	stream_error    TEXT,
	dialback_result TEXT CHECK (dialback_result IN ('not-sent', 'valid', 'invalid', 'error',
	                                                'stream-error', 'closed', 'timeout')),
	sasl_result     TEXT CHECK (sasl_result IN ('not-tried', 'success', 'failure', 'no-answer')),
	close_reason    TEXT,
	json            TEXT NOT NULL CHECK (json_valid(json))
	                                  -- varying fields null, see connection_rows.vary
) STRICT;

CREATE INDEX evidence_cert ON evidence (cert_sha256);

-- One partner's result in one scan (was the table domains).
CREATE TABLE domain_rows (
	id              INTEGER PRIMARY KEY,
	scan_id         INTEGER NOT NULL
	                REFERENCES scans (id) ON DELETE CASCADE,
	domain          TEXT NOT NULL,
	verdict         TEXT NOT NULL
	                CHECK (verdict IN ('compatible', 'degraded', 'incompatible',
	                                   'unreachable', 'error')),
	tls             TEXT CHECK (tls IN ('Required', 'Optional', 'NotSupported', 'Unknown')),
	sasl            TEXT CHECK (sasl IN ('Required', 'Optional', 'NotSupported', 'Unknown')),
	dialback        TEXT CHECK (dialback IN ('True', 'False', 'Unknown')),
	negotiated      TEXT CHECK (negotiated IN ('SASL over TLS', 'TLS Dialback', 'TCP Dialback')),
	methods_blob    INTEGER,          -- blobs.id: JSON array, the partner's method set
	reasons_blob    INTEGER,          -- blobs.id: JSON array of the verdict's reasons
	evidence_blob   INTEGER,          -- blobs.id: JSON array of the deciding evidence lines
	result_blob     INTEGER,          -- blobs.id: the partner object without its varying fields
	result_vary     TEXT CHECK (result_vary IS NULL OR json_valid(result_vary)),
	result_json     TEXT CHECK (result_json IS NULL OR json_valid(result_json)),
	                                  -- only a result edited by hand (UPDATE domains)
	duration_ms     INTEGER,
	recorded_at     TEXT NOT NULL
	                DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	CHECK (result_blob IS NOT NULL OR result_json IS NOT NULL)
) STRICT;

CREATE TABLE endpoints_new (
	id              INTEGER PRIMARY KEY,
	domain_id       INTEGER NOT NULL
	                REFERENCES domain_rows (id) ON DELETE CASCADE,
	host            TEXT,
	port            INTEGER,
	address         TEXT,
	source          TEXT CHECK (source IN ('srv', 'srv-tls', 'fallback', 'connect', 'passive')),
	priority        INTEGER,
	weight          INTEGER,
	reachable       INTEGER CHECK (reachable IN (0, 1))
) STRICT;

-- One connection of one scan (was the table connections).
CREATE TABLE connection_rows (
	id              INTEGER PRIMARY KEY,
	endpoint_id     INTEGER NOT NULL
	                REFERENCES endpoints_new (id) ON DELETE CASCADE,
	evidence_id     INTEGER NOT NULL, -- evidence.id
	vary            TEXT CHECK (vary IS NULL OR json_valid(vary))
) STRICT;

-- The split of every stored text, computed once.
CREATE TEMP TABLE m_results AS
	SELECT id, fs_constant(1, result_json) AS c, fs_vary(1, result_json) AS v FROM domains;
CREATE TEMP TABLE m_conns AS
	SELECT id, fs_constant(0, evidence_json) AS c, fs_vary(0, evidence_json) AS v FROM connections;

INSERT INTO blobs (sha256, json)
	SELECT fs_sha256(t), t FROM (SELECT c AS t FROM m_results UNION SELECT methods FROM domains
	                             UNION SELECT reasons_json FROM domains UNION SELECT evidence_json FROM domains)
	WHERE t IS NOT NULL;

INSERT INTO domain_rows (id, scan_id, domain, verdict, tls, sasl, dialback, negotiated, methods_blob,
	reasons_blob, evidence_blob, result_blob, result_vary, duration_ms, recorded_at)
	SELECT d.id, d.scan_id, d.domain, d.verdict, d.tls, d.sasl, d.dialback, d.negotiated,
	       (SELECT id FROM blobs WHERE sha256 = fs_sha256(d.methods)),
	       (SELECT id FROM blobs WHERE sha256 = fs_sha256(d.reasons_json)),
	       (SELECT id FROM blobs WHERE sha256 = fs_sha256(d.evidence_json)),
	       (SELECT id FROM blobs WHERE sha256 = fs_sha256(m.c)), m.v, d.duration_ms, d.recorded_at
	FROM domains d JOIN m_results m ON m.id = d.id;

INSERT INTO endpoints_new (id, domain_id, host, port, address, source, priority, weight, reachable)
	SELECT id, domain_id, host, port, address, source, priority, weight, reachable FROM endpoints;

INSERT INTO evidence (sha256, kind, connected, tls_version, tls_cipher, cert_sha256, stream_error,
	dialback_result, sasl_result, close_reason, json)
	SELECT fs_sha256(m.c), c.kind, c.connected, c.tls_version, c.tls_cipher, c.cert_sha256, c.stream_error,
	       c.dialback_result, c.sasl_result, c.close_reason, m.c
	FROM connections c JOIN m_conns m ON m.id = c.id ORDER BY c.id
	ON CONFLICT (sha256) DO NOTHING;

INSERT INTO connection_rows (id, endpoint_id, evidence_id, vary)
	SELECT c.id, c.endpoint_id, (SELECT id FROM evidence WHERE sha256 = fs_sha256(m.c)), m.v
	FROM connections c JOIN m_conns m ON m.id = c.id;

DROP TABLE temp.m_results;
DROP TABLE temp.m_conns;
-- Children first, so that no ON DELETE CASCADE reaches the new tables (as in 002).
DROP TABLE connections;
DROP TABLE endpoints;
DROP TABLE domains;
ALTER TABLE endpoints_new RENAME TO endpoints;

CREATE INDEX domains_domain ON domain_rows (domain, id);
CREATE INDEX domains_scan ON domain_rows (scan_id);
CREATE INDEX endpoints_domain ON endpoints (domain_id);
CREATE INDEX endpoints_address ON endpoints (address);
CREATE INDEX connections_endpoint ON connection_rows (endpoint_id);

-- The schema-3 tables, as views. The json_replace paths are those of src/store/cas.c, in its order.
CREATE VIEW domains AS
	SELECT d.id, d.scan_id, d.domain, d.verdict, d.tls, d.sasl, d.dialback, d.negotiated,
	       m.json AS methods, r.json AS reasons_json, e.json AS evidence_json,
	       coalesce(d.result_json, CASE WHEN d.result_vary IS NULL THEN b.json
	                ELSE json_replace(b.json, '$.duration_ms', json_extract(d.result_vary, '$[0]')) END) AS result_json,
	       d.duration_ms, d.recorded_at
	FROM domain_rows d LEFT JOIN blobs b ON b.id = d.result_blob LEFT JOIN blobs m ON m.id = d.methods_blob
	     LEFT JOIN blobs r ON r.id = d.reasons_blob LEFT JOIN blobs e ON e.id = d.evidence_blob;

CREATE VIEW connections AS
	SELECT c.id, c.endpoint_id, e.kind, e.connected, e.tls_version, e.tls_cipher, e.cert_sha256,
	       e.stream_error, e.dialback_result, e.sasl_result, e.close_reason,
	       (SELECT iif(typeof(x) = 'integer', x, NULL) FROM (SELECT coalesce(json_extract(c.vary, '$[5]'),
	               json_extract(e.json, '$.bytes_in')) AS x)) AS bytes_in,
	       (SELECT iif(typeof(x) = 'integer', x, NULL) FROM (SELECT coalesce(json_extract(c.vary, '$[6]'),
	               json_extract(e.json, '$.bytes_out')) AS x)) AS bytes_out,
	       (SELECT iif(typeof(x) = 'integer', x, NULL) FROM (SELECT coalesce(json_extract(c.vary, '$[3]'),
	               json_extract(e.json, '$.duration_ms')) AS x)) AS duration_ms,
	       CASE WHEN c.vary IS NULL THEN e.json
	            ELSE json_replace(e.json,
	                 '$.pre.id', json_extract(c.vary, '$[0]'),
	                 '$.post.id', json_extract(c.vary, '$[1]'),
	                 '$.post_sasl.id', json_extract(c.vary, '$[2]'),
	                 '$.duration_ms', json_extract(c.vary, '$[3]'),
	                 '$.stream', json_extract(c.vary, '$[4]'),
	                 '$.bytes_in', json_extract(c.vary, '$[5]'),
	                 '$.bytes_out', json_extract(c.vary, '$[6]'),
	                 '$.dialback.wait_ms', json_extract(c.vary, '$[7]'),
	                 '$.dialback.grace_ms', json_extract(c.vary, '$[8]')) END AS evidence_json
	FROM connection_rows c JOIN evidence e ON e.id = c.evidence_id;

CREATE TRIGGER domains_delete INSTEAD OF DELETE ON domains
BEGIN
	DELETE FROM domain_rows WHERE id = OLD.id;
END;

CREATE TRIGGER domains_update INSTEAD OF UPDATE ON domains
BEGIN
	UPDATE domain_rows SET scan_id = NEW.scan_id, domain = NEW.domain, verdict = NEW.verdict, tls = NEW.tls,
	       sasl = NEW.sasl, dialback = NEW.dialback, negotiated = NEW.negotiated, duration_ms = NEW.duration_ms,
	       result_json = iif(NEW.result_json IS OLD.result_json, result_json, NEW.result_json)
	 WHERE id = OLD.id;
END;

CREATE TRIGGER connections_delete INSTEAD OF DELETE ON connections
BEGIN
	DELETE FROM connection_rows WHERE id = OLD.id;
END;
