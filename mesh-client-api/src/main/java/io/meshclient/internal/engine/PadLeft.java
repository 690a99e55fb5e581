package io.meshclient.internal.engine;

/**
 * Cache-line padding by class hierarchy (superclass fields are laid out first, so these longs
 * really sit before and after the hot fields; padding inside one class would be reordered).
 * Used for counters that several threads write on every request.
 */
@SuppressWarnings("unused")
abstract class PadLeft {
  long p01, p02, p03, p04, p05, p06, p07, p08;
}
