package io.meshclient.policy;

/** Whether calls to a service use mutual TLS. */
public enum TlsMode {
  /** Plaintext only. */
  DISABLE,
  /** mTLS when the peer offers it; plaintext and unknown identities are accepted and reported. */
  PERMISSIVE,
  /** mTLS only; plaintext and identities the policy does not allow are refused. */
  STRICT
}
