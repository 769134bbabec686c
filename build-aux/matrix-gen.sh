#!/bin/sh
# matrix-gen.sh: compile data/negotiation-matrix.tsv into the C table fs_matrix[] (include/fedscan/matrix.h).
#
# Usage: sh build-aux/matrix-gen.sh data/negotiation-matrix.tsv > src/model/matrix_data.c
#
# The TSV is the single source of the Lync negotiation matrix; the tool, its
# reports and its tests all read this table, so the input is checked strictly
# and any problem stops the build with "file:line: problem" on stderr (and
# nothing on stdout). Checked: the header; exactly 18 rows numbered 1..18 in
# order; 7 tab-separated fields; known words only, spelled as in the contract;
# methods without duplicates and in preference order; every (tls, sasl,
# dialback) combination exactly once; "invalid" exactly when no method is
# left; and four facts of the protocol that any correct row obeys (no TCP
# Dialback under TLS Required, no TLS method under TLS NotSupported, no SASL
# under SASL NotSupported, no dialback method under Dialback False:
# doc/protocol.md#row-7).

if [ $# -ne 1 ]; then
	echo "usage: $0 negotiation-matrix.tsv" >&2
	exit 64
fi
if [ ! -r "$1" ]; then
	echo "$1: cannot read" >&2
	exit 1
fi

# The file name travels through the environment: awk -v would interpret
# backslashes in it, and an operand containing '=' would be an assignment.
# LC_ALL=C makes awk work on bytes, which the C string escaping relies on.
FS_MATRIX_FILE=$1 LC_ALL=C awk '
function problem(msg) {
	print file ":" (NR > 0 ? NR : 1) ": " msg | "cat 1>&2"
	errors++
}

function trim(s) {
	sub(/^[ ]+/, "", s)
	sub(/[ ]+$/, "", s)
	return s
}

# The content of a C string literal: quotes, backslashes and every byte
# outside printable ASCII are escaped, and so is "?" (trigraphs exist under
# -std=c11). Octal escapes always take three digits, so the next character
# can never be read as part of one.
function c_string(s,    out, i, c) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\" || c == "\"" || c == "?")
			out = out "\\" c
		else if (ord[c] < 32 || ord[c] > 126)
			out = out sprintf("\\%03o", ord[c])
		else
			out = out c
	}
	return out
}

BEGIN {
	FS = "\t"
	file = ENVIRON["FS_MATRIX_FILE"]
	for (i = 1; i < 256; i++)
		ord[sprintf("%c", i)] = i

	header = "row\ttls\tsasl\tdialback\tmethods\tverdict\tmeaning"
	level["Required"] = "FS_LEVEL_REQUIRED"
	level["Optional"] = "FS_LEVEL_OPTIONAL"
	level["NotSupported"] = "FS_LEVEL_NOTSUPPORTED"
	dialback["True"] = "FS_DIALBACK_TRUE"
	dialback["False"] = "FS_DIALBACK_FALSE"
	method["SASL over TLS"] = "FS_METHOD_SASL_TLS"
	method["TLS Dialback"] = "FS_METHOD_TLS_DIALBACK"
	method["TCP Dialback"] = "FS_METHOD_TCP_DIALBACK"
	rank["SASL over TLS"] = 1
	rank["TLS Dialback"] = 2
	rank["TCP Dialback"] = 3
	verdict["ok"] = "FS_CONFIG_OK"
	verdict["note"] = "FS_CONFIG_NOTE"
	verdict["warning"] = "FS_CONFIG_WARNING"
	verdict["invalid"] = "FS_CONFIG_INVALID"
	nrows = 0
	errors = 0
	seen_header = 0
}

/\r/ {
	if (!crlf)
		problem("carriage return (DOS line ending); the file must use LF only")
	crlf = 1
	next
}

/^#/ || /^$/ { next }

!seen_header {
	seen_header = 1
	if ($0 == header)
		next
	problem("expected the header \"row<TAB>tls<TAB>sasl<TAB>dialback<TAB>methods<TAB>verdict<TAB>meaning\"")
	# A missing header should not make every row look misnumbered.
	if ($1 !~ /^[0-9]+$/)
		next
}

{
	nrows++
	if (NF != 7) {
		problem("expected 7 tab-separated fields, found " NF)
		next
	}
	bad = 0
	if ($1 !~ /^[0-9]+$/ || $1 + 0 != nrows) {
		problem("row number \"" $1 "\", expected " nrows " (rows are numbered 1..18 in order)")
		bad = 1
	}
	if (!($2 in level)) {
		problem("unknown TLS setting \"" $2 "\" (Required, Optional or NotSupported)")
		bad = 1
	}
	if (!($3 in level)) {
		problem("unknown SASL setting \"" $3 "\" (Required, Optional or NotSupported)")
		bad = 1
	}
	if (!($4 in dialback)) {
		problem("unknown Dialback setting \"" $4 "\" (True or False)")
		bad = 1
	}
	if (!($6 in verdict)) {
		problem("unknown verdict \"" $6 "\" (ok, note, warning or invalid)")
		bad = 1
	}

	# Methods: a comma-separated list, possibly empty.
	split("", have)
	bits = ""
	last = 0
	n = ($5 == "") ? 0 : split($5, m, ",")
	for (i = 1; i <= n; i++) {
		w = trim(m[i])
		if (!(w in method)) {
			problem("unknown method \"" w "\" (SASL over TLS, TLS Dialback or TCP Dialback)")
			bad = 1
			continue
		}
		if (w in have) {
			problem("method \"" w "\" listed twice")
			bad = 1
			continue
		}
		if (rank[w] < last) {
			problem("methods out of preference order (SASL over TLS, TLS Dialback, TCP Dialback)")
			bad = 1
		}
		last = rank[w]
		have[w] = 1
		bits = (bits == "") ? method[w] : bits " | " method[w]
	}
	if (bad)
		next

	if (($6 == "invalid") != (n == 0))
		problem("verdict \"" $6 "\" with " (n == 0 ? "no methods" : "methods") \
		    ": a configuration is invalid exactly when no method is left")
	if ($2 == "Required" && ("TCP Dialback" in have))
		problem("TCP Dialback under TLS Required (TCP Dialback needs a stream without TLS)")
	if ($2 == "NotSupported" && (("SASL over TLS" in have) || ("TLS Dialback" in have)))
		problem("a TLS method under TLS NotSupported")
	if ($3 == "NotSupported" && ("SASL over TLS" in have))
		problem("SASL over TLS under SASL NotSupported")
	if ($4 == "False" && (("TLS Dialback" in have) || ("TCP Dialback" in have)))
		problem("a dialback method under Dialback False")

	key = $2 "/" $3 "/" $4
	if (key in seen) {
		problem("setting " key " appears twice (first on line " seen[key] ")")
		next
	}
	seen[key] = NR

	out[nrows] = sprintf("\t{ %d, { %s, %s, %s }, %s, %s,\n\t  \"%s\" },", \
	    nrows, level[$2], level[$3], dialback[$4], \
	    (bits == "" ? "0" : bits), verdict[$6], c_string($7))
}

END {
	if (!seen_header && !crlf)
		problem("no header line and no rows")
	if (nrows != 18 && !crlf)
		problem("found " nrows " rows, expected exactly 18")
	for (t in level)
		for (s in level)
			for (d in dialback)
				if (!((t "/" s "/" d) in seen) && nrows == 18)
					problem("setting " t "/" s "/" d " is missing")
	if (errors)
		exit 1

	print "/* Generated by build-aux/matrix-gen.sh from data/negotiation-matrix.tsv: do not edit. */"
	print "#include \"fedscan/matrix.h\""
	print ""
	print "const struct fs_matrix_row fs_matrix[FS_MATRIX_ROWS] = {"
	for (i = 1; i <= nrows; i++)
		print out[i]
	print "};"
}
' < "$1"
