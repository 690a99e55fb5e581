package io.meshclient.spring.internal;

import io.meshclient.Mesh;
import io.meshclient.http.MeshHttp;
import io.meshclient.tls.MeshCredentials;
import io.opentelemetry.api.OpenTelemetry;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.FactoryBean;

/**
 * Makes the mesh OkHttp client and releases its threads and connections when the context closes
 * (OkHttpClient has no close method for Spring to infer).
 */
public final class MeshOkHttpClientFactoryBean implements FactoryBean<OkHttpClient>, DisposableBean {

  private final OkHttpClient client;

  /** @param credentials mutual TLS for services whose policy asks for it, when set */
  public MeshOkHttpClientFactoryBean(
      Mesh mesh, @Nullable OpenTelemetry openTelemetry, @Nullable MeshCredentials credentials) {
    MeshHttp.Builder builder = MeshHttp.builder(mesh);
    if (openTelemetry != null) {
      builder.openTelemetry(openTelemetry);
    }
    if (credentials != null) {
      builder.credentials(credentials);
    }
    this.client = builder.client();
  }

  @Override
  public OkHttpClient getObject() {
    return client;
  }

  @Override
  public Class<?> getObjectType() {
    return OkHttpClient.class;
  }

  @Override
  public void destroy() {
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }
}
