package io.meshclient.http.internal;

import io.opentelemetry.api.common.AttributeKey;

/**
 * MeshClient's own telemetry names, beside OpenTelemetry's HTTP semantic conventions.
 *
 * <p>These are mesh-wide (the gRPC adapter needs the same keys and metric names) and belong in
 * mesh-client-api's telemetry contract; they live here until that exists.
 */
public final class MeshSemconv {

  private MeshSemconv() {}

  /** The logical service a request was sent to. */
  public static final AttributeKey<String> SERVICE = AttributeKey.stringKey("meshclient.service");
  /** The endpoint ({@code host:port}) an attempt went to. */
  public static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("meshclient.endpoint");
  /** The endpoint's zone, when it has one. */
  public static final AttributeKey<String> ZONE = AttributeKey.stringKey("meshclient.zone");
  /** The name of the policy route the request matched. */
  public static final AttributeKey<String> ROUTE = AttributeKey.stringKey("meshclient.route");

  /** Calls started (first attempts), per service. */
  public static final String REQUESTS = "meshclient.requests";
  /** Retries granted, per service. */
  public static final String RETRIES = "meshclient.retries";
  /** Retries wanted but refused by the budget or the deadline, per service. */
  public static final String RETRIES_DENIED = "meshclient.retries.denied";
  /** Calls or attempts refused before sending (breaker open, concurrency limit, no endpoint). */
  public static final String REJECTIONS = "meshclient.rejections";
  /** Outlier ejections, per service. */
  public static final String EJECTIONS = "meshclient.ejections";

  /** The instrumentation scope name of the OkHttp adapter. */
  public static final String HTTP_SCOPE = "io.meshclient.http";
}
