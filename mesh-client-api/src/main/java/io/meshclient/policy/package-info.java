/**
 * The immutable policy model: what a service's calls are governed by.
 *
 * <p>Every value type here is a record with a builder. Values are plain data; they are checked as a
 * whole when a {@link io.meshclient.policy.ServicePolicy} is built, so that every problem is
 * reported at once, each with the service name and the field path
 * ({@code orders.retry.budget.ratio: must be in [0, 1], got 1.5}).
 */
@NullMarked
package io.meshclient.policy;

import org.jspecify.annotations.NullMarked;
