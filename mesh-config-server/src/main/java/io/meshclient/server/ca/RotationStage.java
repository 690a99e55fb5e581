package io.meshclient.server.ca;

/**
 * Where a CA root rotation stands. A rotation goes STABLE → PREPARED → ACTIVATED → STABLE, so that
 * every client trusts the new root before anything it signs is issued, and keeps trusting the old
 * root until every certificate it signed has been renewed.
 */
public enum RotationStage {
  /** One root: it signs, and the trust bundle is [root]. */
  STABLE,
  /** A new root is in the bundle but does not sign yet: bundle = [old, new], signing with old. */
  PREPARED,
  /** The new root signs; the old one stays trusted: bundle = [new, old]. Retire once old certificates have expired. */
  ACTIVATED
}
