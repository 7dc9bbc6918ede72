package org.maespark.data;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Lets Spark's Kryo carry Java records. Kryo 4 (Spark's) builds objects field by field and cannot
 * set a record's final fields ("can't get field offset on a record class"), so any record in an RDD
 * (data-prep's file entries, the trainer's rows) failed once Kryo was switched on for ND4J. Listed
 * after ND4J's registrator in {@code spark.kryo.registrator}.
 *
 * <p>A record whose components are all primitives, strings, byte arrays or such records goes
 * component by component through its canonical constructor ({@link FlatRecordSerializer}); any
 * other record through Java serialization inside Kryo, which also builds it through the constructor
 * but costs a fresh object stream per record. On the 133k-file synthetic tree of
 * data-prep/bench/run-million.sh the shuffle of file entries shrank by a third (2.8 to 1.9 MiB);
 * the job's time moved within the machine's noise.
 */
public final class RecordKryoRegistrator implements KryoRegistrator {
  @Override
  public void registerClasses(Kryo kryo) {
    kryo.addDefaultSerializer(
        Record.class,
        (k, type) -> flat(type) ? new FlatRecordSerializer(type) : new JavaSerializer());
  }

  /** Whether every component of the record is a primitive, a String, a byte[] or a flat record. */
  static boolean flat(Class<?> type) {
    for (RecordComponent c : type.getRecordComponents()) {
      Class<?> t = c.getType();
      boolean ok =
          t.isPrimitive()
              || t == String.class
              || t == byte[].class
              || (t.isRecord() && t != type && flat(t));
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** A flat record's components in declaration order; strings, arrays and records may be null. */
  static final class FlatRecordSerializer extends Serializer<Record> {
    private final Method[] accessors;
    private final Class<?>[] types;
    private final Constructor<?> constructor;

    FlatRecordSerializer(Class<?> type) {
      RecordComponent[] cs = type.getRecordComponents();
      accessors = Arrays.stream(cs).map(RecordComponent::getAccessor).toArray(Method[]::new);
      types = Arrays.stream(cs).map(RecordComponent::getType).toArray(Class<?>[]::new);
      try {
        constructor = type.getDeclaredConstructor(types);
      } catch (NoSuchMethodException e) {
        throw new IllegalStateException(
            "record " + type.getName() + " has no canonical constructor");
      }
      constructor.setAccessible(true);
      for (Method m : accessors) {
        m.setAccessible(true);
      }
    }

    @Override
    public void write(Kryo kryo, Output out, Record r) {
      try {
        for (int i = 0; i < types.length; i++) {
          Object v = accessors[i].invoke(r);
          Class<?> t = types[i];
          if (t == int.class) {
            out.writeInt((Integer) v);
          } else if (t == long.class) {
            out.writeLong((Long) v);
          } else if (t.isPrimitive()) {
            kryo.writeObject(out, v); // the rarer primitives, boxed
          } else if (t == String.class) {
            out.writeString((String) v);
          } else if (t == byte[].class) {
            byte[] b = (byte[]) v;
            out.writeVarInt(b == null ? 0 : b.length + 1, true);
            if (b != null) {
              out.writeBytes(b);
            }
          } else {
            kryo.writeObjectOrNull(out, v, t);
          }
        }
      } catch (ReflectiveOperationException e) {
        throw new KryoException("cannot read the components of " + r.getClass().getName(), e);
      }
    }

    @Override
    public Record read(Kryo kryo, Input in, Class<Record> type) {
      Object[] args = new Object[types.length];
      for (int i = 0; i < types.length; i++) {
        Class<?> t = types[i];
        if (t == int.class) {
          args[i] = in.readInt();
        } else if (t == long.class) {
          args[i] = in.readLong();
        } else if (t.isPrimitive()) {
          args[i] = kryo.readObject(in, box(t));
        } else if (t == String.class) {
          args[i] = in.readString();
        } else if (t == byte[].class) {
          int n = in.readVarInt(true);
          args[i] = n == 0 ? null : in.readBytes(n - 1);
        } else {
          args[i] = kryo.readObjectOrNull(in, t);
        }
      }
      try {
        return (Record) constructor.newInstance(args);
      } catch (ReflectiveOperationException e) {
        throw new KryoException("cannot build a " + type.getName(), e);
      }
    }

    private static Class<?> box(Class<?> primitive) {
      return java.lang.invoke.MethodType.methodType(primitive).wrap().returnType();
    }
  }
}
