using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Losses.Web;

/// <summary>
/// The self-signed certificate `web --tls` serves: made once and kept, so a browser that accepted it
/// once keeps accepting it. A page from another machine gets the camera only over HTTPS.
/// </summary>
public static class Certificate
{
    public static string DefaultFolder =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.Create), "losses");

    /// <summary>The certificate in <paramref name="folder"/>, made there first when there is none; <paramref name="created"/> says which.</summary>
    public static X509Certificate2 LoadOrCreate(string folder, IEnumerable<string> names, out string path, out bool created)
    {
        path = Path.Combine(folder, "web-certificate.pfx");
        created = false;
        if (File.Exists(path))
        {
            try
            {
                return X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
            }
            catch (CryptographicException e)
            {
                throw new IOException($"{path} is not a certificate this program made ({e.Message}): remove it and run again to make a new one");
            }
        }
        Directory.CreateDirectory(folder);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Losses visualiser", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        foreach (string name in names.Distinct())
        {
            if (IPAddress.TryParse(name, out IPAddress? ip)) { if (!ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.Loopback)) san.AddIpAddress(ip); }
            else if (name != "localhost") san.AddDnsName(name);
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server authentication
        using X509Certificate2 made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
        byte[] pfx = made.Export(X509ContentType.Pfx);
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, pfx);
        File.Move(temp, path, overwrite: true);
        created = true;
        return X509CertificateLoader.LoadPkcs12(pfx, password: null);
    }

    /// <summary>The SHA-256 of the certificate's public key, base64: what Chromium's --ignore-certificate-errors-spki-list takes.</summary>
    public static string SpkiHash(X509Certificate2 certificate) =>
        Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
}
