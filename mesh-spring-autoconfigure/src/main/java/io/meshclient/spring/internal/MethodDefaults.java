package io.meshclient.spring.internal;

import io.meshclient.ServiceHandle;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.spring.MeshIdempotent;
import io.meshclient.spring.MeshTimeout;
import io.meshclient.spring.OkHttpRequestFactory;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.MethodParameter;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.web.service.invoker.HttpRequestValues;

/**
 * Applies {@link MeshTimeout} and {@link MeshIdempotent} of HTTP interface methods as request
 * attributes, read by {@link OkHttpRequestFactory}. The central policy takes precedence: the
 * timeout applies only while the service's policy sets none.
 */
public final class MethodDefaults implements HttpRequestValues.Processor {

  /** What the annotations of one method say. */
  record Defaults(@Nullable Duration timeout, boolean idempotent) {
    static final Defaults NONE = new Defaults(null, false);
  }

  private final ServiceHandle service;
  private final Map<Method, Defaults> byMethod = new ConcurrentHashMap<>();

  public MethodDefaults(ServiceHandle service, Iterable<Class<?>> interfaces) {
    this.service = service;
    // Read every annotation now, so a bad value fails start-up rather than the first call.
    for (Class<?> type : interfaces) {
      for (Method m : type.getMethods()) {
        byMethod.put(m, read(m));
      }
    }
  }

  @Override
  public void process(
      Method method,
      MethodParameter[] parameters,
      @Nullable Object[] arguments,
      HttpRequestValues.Builder builder) {
    Defaults d = byMethod.computeIfAbsent(method, MethodDefaults::read);
    if (d == Defaults.NONE) {
      return;
    }
    if (d.idempotent()) {
      builder.addAttribute(OkHttpRequestFactory.IDEMPOTENT_ATTRIBUTE, Boolean.TRUE);
    }
    Duration timeout = d.timeout();
    if (timeout != null) {
      ServicePolicy policy = service.policy();
      if (policy == null || policy.timeout().isZero()) {
        builder.addAttribute(OkHttpRequestFactory.TIMEOUT_ATTRIBUTE, timeout);
      }
    }
  }

  static Defaults read(Method method) {
    MeshTimeout t = AnnotatedElementUtils.findMergedAnnotation(method, MeshTimeout.class);
    if (t == null) {
      t = AnnotatedElementUtils.findMergedAnnotation(method.getDeclaringClass(), MeshTimeout.class);
    }
    boolean idempotent =
        AnnotatedElementUtils.hasAnnotation(method, MeshIdempotent.class)
            || AnnotatedElementUtils.hasAnnotation(method.getDeclaringClass(), MeshIdempotent.class);
    Duration timeout = t == null ? null : parse(t.value(), method);
    return timeout == null && !idempotent ? Defaults.NONE : new Defaults(timeout, idempotent);
  }

  private static Duration parse(String value, Method method) {
    Duration d;
    try {
      d = DurationStyle.detectAndParse(value);
    } catch (IllegalArgumentException e) {
      d = null;
    }
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalStateException(
          "@MeshTimeout(\""
              + value
              + "\") on "
              + method.getDeclaringClass().getName()
              + "."
              + method.getName()
              + ": not a positive duration (expected: such as 500ms or 2s)");
    }
    return d;
  }
}
