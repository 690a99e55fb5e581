package io.meshclient.spring.internal;

import io.meshclient.spring.MeshClient;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.annotation.AnnotatedBeanDefinition;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfigurationPackages;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.web.service.registry.AbstractHttpServiceRegistrar;
import org.springframework.web.service.registry.HttpServiceGroup;

/**
 * Registers every {@link MeshClient @MeshClient} interface of the application's
 * auto-configuration packages as an HTTP service of the group named after its mesh service, through
 * Framework 7's HTTP service registry (the same one {@code @ImportHttpServices} feeds).
 */
public final class MeshClientRegistrar extends AbstractHttpServiceRegistrar {

  private @Nullable BeanFactory beanFactory;
  private @Nullable Environment environment;
  private @Nullable ResourceLoader resourceLoader;

  @Override
  public void setBeanFactory(BeanFactory beanFactory) throws BeansException {
    super.setBeanFactory(beanFactory);
    this.beanFactory = beanFactory;
  }

  @Override
  public void setEnvironment(Environment environment) {
    super.setEnvironment(environment);
    this.environment = environment;
  }

  @Override
  public void setResourceLoader(ResourceLoader resourceLoader) {
    super.setResourceLoader(resourceLoader);
    this.resourceLoader = resourceLoader;
  }

  @Override
  protected void registerHttpServices(GroupRegistry registry, AnnotationMetadata importing) {
    if (beanFactory == null || !AutoConfigurationPackages.has(beanFactory)) {
      return;
    }
    for (String pkg : AutoConfigurationPackages.get(beanFactory)) {
      for (BeanDefinition candidate : scanner().findCandidateComponents(pkg)) {
        AnnotationMetadata metadata = ((AnnotatedBeanDefinition) candidate).getMetadata();
        Map<String, @Nullable Object> attributes =
            metadata.getAnnotationAttributes(MeshClient.class.getName());
        String service = attributes == null ? null : (String) attributes.get("value");
        if (service == null || service.isBlank()) {
          throw new IllegalStateException(
              "@MeshClient on " + metadata.getClassName() + ": the service name is blank"
                  + " (expected: the mesh service it calls, such as @MeshClient(\"orders\"))");
        }
        registry
            .forGroup(service, HttpServiceGroup.ClientType.REST_CLIENT)
            .registerTypeNames(metadata.getClassName());
      }
    }
  }

  /** The packages scanned, for tests and diagnostics. */
  static List<String> packages(BeanFactory beanFactory) {
    return AutoConfigurationPackages.has(beanFactory)
        ? AutoConfigurationPackages.get(beanFactory)
        : List.of();
  }

  private ClassPathScanningCandidateComponentProvider scanner() {
    ClassPathScanningCandidateComponentProvider scanner =
        new ClassPathScanningCandidateComponentProvider(false) {
          @Override
          protected boolean isCandidateComponent(AnnotatedBeanDefinition definition) {
            AnnotationMetadata m = definition.getMetadata();
            return m.isInterface() && m.isIndependent() && !m.isAnnotation();
          }
        };
    scanner.addIncludeFilter(new AnnotationTypeFilter(MeshClient.class, false, true));
    if (environment != null) {
      scanner.setEnvironment(environment);
    }
    if (resourceLoader != null) {
      scanner.setResourceLoader(resourceLoader);
    }
    return scanner;
  }
}
