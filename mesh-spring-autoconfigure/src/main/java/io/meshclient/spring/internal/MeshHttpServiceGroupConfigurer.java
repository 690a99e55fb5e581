package io.meshclient.spring.internal;

import io.meshclient.Mesh;
import io.meshclient.spring.MeshClient;
import io.meshclient.spring.OkHttpRequestFactory;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.env.Environment;
import org.springframework.web.client.support.RestClientHttpServiceGroupConfigurer;
import org.springframework.web.service.registry.HttpServiceGroup;

/**
 * Puts HTTP service groups in the mesh: those holding {@link MeshClient} interfaces and those named
 * in {@code meshclient.http.groups}. Each gets the mesh OkHttp client, the base URL {@code
 * http://<service>} (unless Boot's {@code spring.http.serviceclient.<group>.base-url} is set) and
 * the method defaults. Ordered after Boot's properties configurer so that its request factory is
 * replaced, and before users' own configurers, which may refine the result.
 */
public final class MeshHttpServiceGroupConfigurer implements RestClientHttpServiceGroupConfigurer {

  /** After Boot's PropertiesRestClientHttpServiceGroupConfigurer (HIGHEST_PRECEDENCE + 10). */
  public static final int ORDER = Ordered.HIGHEST_PRECEDENCE + 100;

  private final Mesh mesh;
  private final OkHttpRequestFactory requestFactory;
  private final Set<String> extraGroups;
  private final Environment environment;

  public MeshHttpServiceGroupConfigurer(
      Mesh mesh,
      OkHttpRequestFactory requestFactory,
      Collection<String> extraGroups,
      Environment environment) {
    this.mesh = mesh;
    this.requestFactory = requestFactory;
    this.extraGroups = new TreeSet<>(extraGroups);
    this.environment = environment;
  }

  @Override
  public int getOrder() {
    return ORDER;
  }

  @Override
  public void configureGroups(Groups<org.springframework.web.client.RestClient.Builder> groups) {
    groups
        .filter(g -> service(g) != null)
        .forEachGroup(
            (group, client, proxyFactory) -> {
              String service = service(group);
              if (service == null) {
                return;
              }
              String baseUrlProperty = "spring.http.serviceclient." + group.name() + ".base-url";
              if (!environment.containsProperty(baseUrlProperty)) {
                client.baseUrl("http://" + service);
              }
              client.requestFactory(requestFactory);
              proxyFactory.httpRequestValuesProcessor(
                  new MethodDefaults(mesh.service(service), group.httpServiceTypes()));
            });
  }

  /** The mesh service of {@code group}, or null when the group is not in the mesh. */
  @Nullable String service(HttpServiceGroup group) {
    String found = null;
    for (Class<?> type : group.httpServiceTypes()) {
      MeshClient mc = AnnotatedElementUtils.findMergedAnnotation(type, MeshClient.class);
      if (mc == null) {
        continue;
      }
      if (found != null && !found.equals(mc.value())) {
        throw new IllegalStateException(
            "HTTP service group '"
                + group.name()
                + "' mixes @MeshClient(\""
                + found
                + "\") and @MeshClient(\""
                + mc.value()
                + "\") interfaces (expected: one mesh service per group)");
      }
      found = mc.value();
    }
    if (found == null && extraGroups.contains(group.name())) {
      found = group.name();
    }
    return found;
  }
}
