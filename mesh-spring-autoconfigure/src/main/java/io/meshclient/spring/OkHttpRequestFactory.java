package io.meshclient.spring;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSink;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.StreamingHttpOutputMessage;
import org.springframework.http.client.AbstractStreamingClientHttpRequest;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.util.FastByteArrayOutputStream;

/**
 * A {@link ClientHttpRequestFactory} over an {@link OkHttpClient}, so that {@code RestClient} and
 * HTTP interface clients can use the mesh's OkHttp client (Spring Framework 7 no longer ships one).
 *
 * <p>Request bodies that Spring cannot repeat are buffered, because the mesh may send a request
 * more than once (retries). Two request attributes are honoured: {@link #TIMEOUT_ATTRIBUTE} (a
 * {@link Duration}, applied as OkHttp's call timeout) and {@link #IDEMPOTENT_ATTRIBUTE} (a {@link
 * Boolean}, attached to the OkHttp request as a {@link MeshIdempotent} tag the mesh reads).
 */
public final class OkHttpRequestFactory implements ClientHttpRequestFactory {

  /** Request attribute: the whole call's timeout, a {@link Duration}. */
  public static final String TIMEOUT_ATTRIBUTE = "io.meshclient.timeout";

  /** Request attribute: {@link Boolean#TRUE} when the request may be re-sent safely. */
  public static final String IDEMPOTENT_ATTRIBUTE = "io.meshclient.idempotent";

  private static final byte[] EMPTY = new byte[0];

  private final OkHttpClient client;

  public OkHttpRequestFactory(OkHttpClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** The client requests are sent with. */
  public OkHttpClient client() {
    return client;
  }

  @Override
  public ClientHttpRequest createRequest(URI uri, HttpMethod httpMethod) {
    return new OkHttpRequest(client, uri, httpMethod);
  }

  private static final class OkHttpRequest extends AbstractStreamingClientHttpRequest {
    private final OkHttpClient client;
    private final URI uri;
    private final HttpMethod method;

    OkHttpRequest(OkHttpClient client, URI uri, HttpMethod method) {
      this.client = client;
      this.uri = uri;
      this.method = method;
    }

    @Override
    public HttpMethod getMethod() {
      return method;
    }

    @Override
    public URI getURI() {
      return uri;
    }

    @Override
    protected ClientHttpResponse executeInternal(
        HttpHeaders headers, StreamingHttpOutputMessage.@Nullable Body body) throws IOException {
      Headers.Builder okHeaders = new Headers.Builder();
      headers.forEach((name, values) -> values.forEach(v -> okHeaders.add(name, v)));
      String contentType = headers.getFirst(HttpHeaders.CONTENT_TYPE);
      MediaType mediaType = contentType == null ? null : MediaType.parse(contentType);
      Request.Builder request =
          new Request.Builder()
              .url(uri.toString())
              .headers(okHeaders.build())
              .method(method.name(), requestBody(method, body, mediaType));
      Map<String, Object> attributes = getAttributes();
      if (Boolean.TRUE.equals(attributes.get(IDEMPOTENT_ATTRIBUTE))) {
        markIdempotent(request);
      }
      Call call = client.newCall(request.build());
      if (attributes.get(TIMEOUT_ATTRIBUTE) instanceof Duration timeout && !timeout.isZero()) {
        call.timeout().timeout(timeout.toNanos(), TimeUnit.NANOSECONDS);
      }
      return new OkHttpResponse(call.execute());
    }

    private static @Nullable RequestBody requestBody(
        HttpMethod method, StreamingHttpOutputMessage.@Nullable Body body, @Nullable MediaType type)
        throws IOException {
      if (body == null) {
        boolean needsBody =
            method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH;
        return needsBody ? RequestBody.create(EMPTY, type) : null;
      }
      if (body.repeatable()) {
        return new StreamingBody(body, type);
      }
      // The mesh may send the request again: keep the bytes.
      FastByteArrayOutputStream bytes = new FastByteArrayOutputStream(1024);
      body.writeTo(bytes);
      return RequestBody.create(bytes.toByteArrayUnsafe(), type, 0, bytes.size());
    }
  }

  private static void markIdempotent(Request.Builder request) {
    io.meshclient.http.MeshHttp.idempotent(request);
  }

  private static final class StreamingBody extends RequestBody {
    private final StreamingHttpOutputMessage.Body body;
    private final @Nullable MediaType type;

    StreamingBody(StreamingHttpOutputMessage.Body body, @Nullable MediaType type) {
      this.body = body;
      this.type = type;
    }

    @Override
    public @Nullable MediaType contentType() {
      return type;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      OutputStream out = sink.outputStream();
      body.writeTo(out);
      out.flush();
    }
  }

  private static final class OkHttpResponse implements ClientHttpResponse {
    private final Response response;
    private @Nullable HttpHeaders headers;

    OkHttpResponse(Response response) {
      this.response = response;
    }

    @Override
    public HttpStatusCode getStatusCode() {
      return HttpStatusCode.valueOf(response.code());
    }

    @Override
    public String getStatusText() {
      return response.message();
    }

    @Override
    public HttpHeaders getHeaders() {
      HttpHeaders h = headers;
      if (h == null) {
        h = new HttpHeaders();
        for (String name : response.headers().names()) {
          List<String> values = response.headers(name);
          h.put(name, values);
        }
        headers = h;
      }
      return h;
    }

    @Override
    public InputStream getBody() {
      ResponseBody body = response.body();
      return body.byteStream();
    }

    @Override
    public void close() {
      response.close();
    }
  }
}
