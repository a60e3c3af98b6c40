//! LM-OTS one-time signatures (RFC 8554, section 4). Work in progress.
