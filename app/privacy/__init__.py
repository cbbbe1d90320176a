"""Personal data as Luật 91/2025/QH15 asks (DESIGN §11): the audit log, need-to-know reads, the privacy
notice, consent per household, erasure, access requests and retention."""
