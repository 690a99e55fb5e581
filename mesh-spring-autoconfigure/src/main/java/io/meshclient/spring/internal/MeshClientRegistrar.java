package io.meshclient.spring.internal;

import io.meshclient.spring.MeshClient;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.web.service.registry.AbstractHttpServiceRegistrar;
import org.springframework.web.service.registry.HttpServiceGroup;

/**
 * Registers every {@link MeshClient @MeshClient} interface of the application's
 * auto-configuration packages as an HTTP service of the group named after its mesh service, through
 * Framework 7's HTTP service registry (the one {@code @ImportHttpServices} feeds), so that the
 * registry creates the proxies and every {@code HttpServiceGroupConfigurer} applies.
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
    if (beanFactory == null) {
      return;
    }
    MeshClientScanner.scan(beanFactory, environment, resourceLoader)
        .forEach(
            (type, service) ->
                registry
                    .forGroup(service, HttpServiceGroup.ClientType.REST_CLIENT)
                    .registerTypeNames(type));
  }
}
