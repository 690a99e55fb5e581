/**
 * The OkHttp adapter's implementation: the attempt-loop interceptor, per-endpoint connection
 * routing, outcome classification and telemetry. Internal: not API, may change without notice.
 */
@NullMarked
package io.meshclient.http.internal;

import org.jspecify.annotations.NullMarked;
