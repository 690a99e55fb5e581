/**
 * Identity and trust primitives for mutual TLS with SPIFFE identities (JDK only): a reloadable key
 * manager holding the workload's current certificate, a reloadable trust manager holding the
 * trust bundle, and the peer check against the identities a policy allows. Rotation replaces the
 * identity or the bundle under live connections' factories without rebuilding them.
 */
@NullMarked
package io.meshclient.tls;

import org.jspecify.annotations.NullMarked;
