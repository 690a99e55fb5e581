/**
 * The decision engine's implementation: compiled service snapshots, pickers, breakers, outlier
 * detection and the retry budget. Internal: not API, may change without notice.
 */
@NullMarked
package io.meshclient.internal.engine;

import org.jspecify.annotations.NullMarked;
