-- 005_proof_time.sql: the session proof's time is a varying field of a connection's evidence.
--
-- From this schema on, a connection whose session-proof ping (XEP-0199) was
-- answered records "proof.answer_ms": the milliseconds from sending the ping to
-- its answer (fedscan(1), JSON OUTPUT). Like the other timings it changes from
-- one scan to the next, so src/store/cas.c keeps it in the vary array, at
-- position 9, after dialback.grace_ms. The connections view puts it back as it
-- puts back the others; nothing else changes (no row is rewritten).

DROP VIEW connections;

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
	                 '$.dialback.grace_ms', json_extract(c.vary, '$[8]'),
	                 '$.proof.answer_ms', json_extract(c.vary, '$[9]')) END AS evidence_json
	FROM connection_rows c JOIN evidence e ON e.id = c.evidence_id;

CREATE TRIGGER connections_delete INSTEAD OF DELETE ON connections
BEGIN
	DELETE FROM connection_rows WHERE id = OLD.id;
END;
