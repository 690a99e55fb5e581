/**
 * The OkHttp adapter: {@link io.meshclient.http.MeshHttp} puts every request to a logical service
 * ({@code http://orders/...}) under the mesh policy — routing, load balancing, breakers, retries,
 * tracing — while requests to other hosts pass through untouched. Works under Retrofit and every
 * other OkHttp-based library, since what it returns is a plain {@code OkHttpClient}.
 */
@NullMarked
package io.meshclient.http;

import org.jspecify.annotations.NullMarked;
