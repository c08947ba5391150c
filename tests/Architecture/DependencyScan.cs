using System.Reflection;
using System.Reflection.Emit;

namespace Losses.Tests.Architecture;

/// <summary>
/// Which namespaces a compiled assembly's code uses: every type a type names in its signatures
/// (base, interfaces, fields, properties, parameters, returns, locals) or in its method bodies (the
/// IL's type, method and field tokens), whether the source wrote a <c>using</c>, a qualified name or
/// a name relative to its own namespace. Constants are folded in by the compiler and not seen.
/// </summary>
public static class DependencyScan
{
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    /// <summary>IL opcodes by value, with the size of their operand.</summary>
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>An edge "type in namespace From uses a type in namespace To", with one example of each end.</summary>
    public readonly record struct Edge(string From, string To, string FromType, string ToType);

    /// <summary>Every namespace edge of the assembly's code to types of <paramref name="targets"/> (by assembly name), once per using type.</summary>
    public static IReadOnlyList<Edge> Edges(Assembly assembly, params string[] targets)
    {
        var edges = new Dictionary<(string, string), Edge>();
        foreach (Type type in assembly.GetTypes())
        {
            string from = type.Namespace ?? "";
            foreach (Type used in Uses(type))
            {
                if (Array.IndexOf(targets, used.Assembly.GetName().Name) < 0) continue;
                if (IsCompilers(used)) continue;
                string to = used.Namespace ?? "";
                if (to == from) continue;
                string user = type.FullName ?? type.Name;
                edges.TryAdd((user, to), new Edge(from, to, user, used.FullName ?? used.Name));
            }
        }
        return [.. edges.Values.OrderBy(e => e.From).ThenBy(e => e.To)];
    }

    /// <summary>The compiler's own types (&lt;PrivateImplementationDetails&gt; and those nested in it: constant data), in no namespace.</summary>
    private static bool IsCompilers(Type t)
    {
        while (t.DeclaringType is Type outer) t = outer;
        return t.Namespace is null && t.Name.StartsWith('<');
    }

    private static IEnumerable<Type> Uses(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || !found.Add(t)) return;
            if (t.HasElementType) Add(t.GetElementType());
            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                Add(t.GetGenericTypeDefinition());
                foreach (Type a in t.GetGenericArguments()) Add(a);
            }
        }
        Add(type.BaseType);
        foreach (Type i in type.GetInterfaces()) Add(i);
        foreach (FieldInfo f in type.GetFields(Declared)) Add(f.FieldType);
        foreach (PropertyInfo p in type.GetProperties(Declared)) Add(p.PropertyType);
        foreach (MethodBase m in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (ParameterInfo p in m.GetParameters()) Add(p.ParameterType);
            MethodBody? body;
            try { body = m.GetMethodBody(); }
            catch (Exception e) when (e is BadImageFormatException or InvalidOperationException) { continue; }
            if (body is null) continue;
            foreach (LocalVariableInfo local in body.LocalVariables) Add(local.LocalType);
            foreach (Type t in BodyTypes(m, body.GetILAsByteArray() ?? [])) Add(t);
        }
        found.RemoveWhere(t => t.IsGenericParameter);
        return found;
    }

    /// <summary>The declaring types of the members and the types the method body's IL names.</summary>
    private static IEnumerable<Type> BodyTypes(MethodBase method, byte[] il)
    {
        Module module = method.Module;
        Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE && i + 1 < il.Length ? (short)(0xFE00 | il[i + 1]) : il[i];
            if (!OpCodesByValue.TryGetValue(value, out OpCode op)) yield break; // not IL we can read: stop rather than misread
            i += op.Size;
            int token = op.OperandType is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok
                ? BitConverter.ToInt32(il, i) : 0;
            i += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
            if (token == 0) continue;
            MemberInfo? member = null;
            try { member = module.ResolveMember(token, typeArgs, methodArgs); }
            catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or FileNotFoundException) { }
            if (member is Type t) yield return t;
            else if (member?.DeclaringType is Type declaring)
            {
                yield return declaring;
                if (member is FieldInfo f) yield return f.FieldType;
                if (member is MethodInfo m) yield return m.ReturnType;
            }
        }
    }
}
