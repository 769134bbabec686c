# src/xmpp/local.mk: the XMPP stream: the bounded XML stream parser, the stream helpers the probes and the passive
# follower share, and the dialback key (XEP-0185). No I/O.
src_libfedscan_a_SOURCES += include/fedscan/xmlstream.h src/xmpp/xmlstream.c src/xmpp/arena.h src/xmpp/arena.c src/xmpp/stream.h src/xmpp/stream.c \
	src/xmpp/dbkey.h src/xmpp/dbkey.c
