package io.meshclient.http.internal;

import io.meshclient.RequestReader;
import io.meshclient.http.MeshHttp;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/** Reads routing attributes straight from an OkHttp {@link Request}. */
enum OkHttpRequestReader implements RequestReader<Request> {
  INSTANCE;

  @Override
  public String method(Request request) {
    return request.method();
  }

  /**
   * The encoded path, as sent on the wire (routes match what the server sees). OkHttp computes it
   * as a substring, so only routes with a path condition pay for it.
   */
  @Override
  public String path(Request request) {
    return request.url().encodedPath();
  }

  @Override
  public @Nullable String header(Request request, String lowerCaseName) {
    return request.header(lowerCaseName); // case-insensitive scan, no allocation
  }

  /** Read only when a retry is considered: requests marked with {@link MeshHttp#idempotent}. */
  @Override
  public boolean idempotent(Request request) {
    return request.tag(MeshHttp.Idempotent.class) != null;
  }
}
