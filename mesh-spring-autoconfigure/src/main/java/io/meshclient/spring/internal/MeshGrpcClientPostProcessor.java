package io.meshclient.spring.internal;

import io.meshclient.spring.MeshGrpcChannels;
import io.meshclient.spring.MeshGrpcClient;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.util.ReflectionUtils;

/** Injects stubs into {@link MeshGrpcClient @MeshGrpcClient} fields. */
public final class MeshGrpcClientPostProcessor implements BeanPostProcessor {

  private final ObjectProvider<MeshGrpcChannels> channels;

  public MeshGrpcClientPostProcessor(ObjectProvider<MeshGrpcChannels> channels) {
    this.channels = channels;
  }

  @Override
  public Object postProcessBeforeInitialization(Object bean, String beanName) throws BeansException {
    ReflectionUtils.doWithFields(
        bean.getClass(),
        field -> inject(bean, beanName, field),
        field -> field.isAnnotationPresent(MeshGrpcClient.class));
    return bean;
  }

  private void inject(Object bean, String beanName, Field field) {
    if (Modifier.isStatic(field.getModifiers())) {
      throw new IllegalStateException(
          "@MeshGrpcClient on static field "
              + field.getDeclaringClass().getName()
              + "."
              + field.getName()
              + " (expected: an instance field)");
    }
    String service = field.getAnnotation(MeshGrpcClient.class).value();
    Object stub;
    try {
      stub = channels.getObject().stub(service, field.getType());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          "@MeshGrpcClient(\""
              + service
              + "\") on "
              + field.getDeclaringClass().getName()
              + "."
              + field.getName()
              + " of bean '"
              + beanName
              + "': "
              + e.getMessage());
    }
    ReflectionUtils.makeAccessible(field);
    ReflectionUtils.setField(field, bean, stub);
  }
}
