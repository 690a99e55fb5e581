package io.meshclient.spring.internal;

import io.meshclient.spring.MeshClient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.annotation.AnnotatedBeanDefinition;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfigurationPackages;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.core.type.filter.AnnotationTypeFilter;

/**
 * Finds {@link MeshClient @MeshClient} interfaces in the application's auto-configuration packages
 * (reading class files, without loading the classes).
 */
public final class MeshClientScanner {

  private MeshClientScanner() {}

  /** The interfaces found, by class name, with the mesh service each calls. */
  public static Map<String, String> scan(
      BeanFactory beanFactory, @Nullable Environment environment, @Nullable ResourceLoader loader) {
    Map<String, String> found = new LinkedHashMap<>();
    if (!AutoConfigurationPackages.has(beanFactory)) {
      return found;
    }
    List<String> packages = AutoConfigurationPackages.get(beanFactory);
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
    if (loader != null) {
      scanner.setResourceLoader(loader);
    }
    for (String pkg : packages) {
      for (BeanDefinition candidate : scanner.findCandidateComponents(pkg)) {
        AnnotationMetadata metadata = ((AnnotatedBeanDefinition) candidate).getMetadata();
        Map<String, @Nullable Object> attributes =
            metadata.getAnnotationAttributes(MeshClient.class.getName());
        Object service = attributes == null ? null : attributes.get("value");
        if (!(service instanceof String s) || s.isBlank()) {
          throw new IllegalStateException(
              "@MeshClient on "
                  + metadata.getClassName()
                  + ": the service name is blank (expected: the mesh service it calls, such as"
                  + " @MeshClient(\"orders\"))");
        }
        found.put(metadata.getClassName(), s);
      }
    }
    return found;
  }
}
