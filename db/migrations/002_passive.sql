-- 002_passive.sql: passive analysis (fedscan pcap) and --capture.
--
-- 1. scans.capture: the pcap file a run wrote (check/scan --capture FILE; the
--    TLS key log is FILE.keys beside it) or read (fedscan pcap FILE...: one
--    file name per line). Each connection's evidence_json names its TCP stream
--    ("stream": "LOCAL:PORT > PEER:PORT"), which finds its packets in the file.
-- 2. endpoints.source also allows 'passive': an endpoint seen in a capture.
--    SQLite cannot change a CHECK constraint in place, so endpoints is rebuilt,
--    and connections (which references it) with it, keeping every id. The
--    steps are ordered so that foreign keys (on for this connection) never
--    cascade: the new connections table references the new endpoints table,
--    the old tables are dropped child first, and the renames carry the
--    references along (SQLite >= 3.26 rewrites REFERENCES on RENAME).

ALTER TABLE scans ADD COLUMN capture TEXT;
                                  -- the pcap file written (--capture) or read
                                  -- (fedscan pcap; one per line); NULL: none

CREATE TABLE endpoints_new (
	id              INTEGER PRIMARY KEY,
	domain_id       INTEGER NOT NULL
	                REFERENCES domains (id) ON DELETE CASCADE,
	host            TEXT,             -- SRV target or the domain itself
	port            INTEGER,
	address         TEXT,             -- numeric IPv4 or IPv6
	source          TEXT CHECK (source IN ('srv', 'srv-tls', 'fallback', 'connect', 'passive')),
	                                  -- connect: given with --connect;
	                                  -- passive: seen in a capture (fedscan pcap)
	priority        INTEGER,          -- SRV priority and weight (RFC 2782)
	weight          INTEGER,
	reachable       INTEGER CHECK (reachable IN (0, 1))
) STRICT;

INSERT INTO endpoints_new (id, domain_id, host, port, address, source, priority, weight, reachable)
	SELECT id, domain_id, host, port, address, source, priority, weight, reachable FROM endpoints;

-- One probe connection to an endpoint (doc/protocol.md#connections: C1..C4),
-- or one stream seen in a capture. The columns summarise; evidence_json is the
-- raw evidence object.
CREATE TABLE connections_new (
	id              INTEGER PRIMARY KEY,
	endpoint_id     INTEGER NOT NULL
	                REFERENCES endpoints_new (id) ON DELETE CASCADE,
	kind            TEXT CHECK (kind IN ('starttls', 'plain', 'direct-tls', 'starttls-nocert', 'dialback-cert')),
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

INSERT INTO connections_new (id, endpoint_id, kind, connected, tls_version, tls_cipher, cert_sha256, stream_error,
	dialback_result, sasl_result, close_reason, bytes_in, bytes_out, duration_ms, evidence_json)
	SELECT id, endpoint_id, kind, connected, tls_version, tls_cipher, cert_sha256, stream_error,
	dialback_result, sasl_result, close_reason, bytes_in, bytes_out, duration_ms, evidence_json FROM connections;

DROP TABLE connections;
DROP TABLE endpoints;
ALTER TABLE endpoints_new RENAME TO endpoints;
ALTER TABLE connections_new RENAME TO connections;

CREATE INDEX endpoints_domain ON endpoints (domain_id);
CREATE INDEX endpoints_address ON endpoints (address);
CREATE INDEX connections_endpoint ON connections (endpoint_id);
CREATE INDEX connections_cert ON connections (cert_sha256);
