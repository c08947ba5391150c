/*
 * Losses test ASIO driver: a real in-process COM ASIO driver (the IASIO interface every ASIO host
 * calls) for running the Windows engine under Wine in the tests. It has no hardware: its own thread
 * calls the host's buffer switch at the real period of the buffer size and sample rate, and after
 * each switch appends what the host wrote into the output buffers to a capture file.
 *
 * Set per run through the environment (Wine passes the Unix environment through):
 *   LOSSES_ASIO_CAPTURE        file the output buffers are appended to (Windows path, e.g. Z:\tmp\x.cap)
 *   LOSSES_ASIO_LOG            file a one-line summary is appended to when the buffers are disposed
 *   LOSSES_ASIO_SAMPLE_TYPE    float32 | int32 | int24 | int16 (LSB; default float32)
 *   LOSSES_ASIO_RATE           sample rate (default 48000)
 *   LOSSES_ASIO_BUFFER         min,max,preferred,granularity (default 32,2048,64,-1: powers of two)
 *   LOSSES_ASIO_OUTPUT_READY   0: outputReady is not supported (default: supported)
 *   LOSSES_ASIO_TIME_INFO      0: never use bufferSwitchTimeInfo even if the host supports it
 *   LOSSES_ASIO_FAIL_CREATEBUFFERS  N: the N-th createBuffers call of the process fails (1 = the first)
 *   LOSSES_ASIO_RESET_AFTER    N: after N buffers send kAsioResetRequest (once per process), as if the
 *                              user changed the buffer size in the control panel ...
 *   LOSSES_ASIO_RESET_PREFERRED ... to this preferred size
 *   LOSSES_ASIO_STOP_AFTER     N: stop calling back after N buffers, as an unplugged device does
 *
 * Capture file: per buffer switch a record of int32 frames, int32 channels, int32 ASIO sample type,
 * then each created output channel's buffer (frames x sample bytes), in the order the host listed them.
 * Built for Windows x64 (mingw-w64): there IASIO methods use the one x64 calling convention.
 */
#define COBJMACROS
#include <windows.h>
#include <objbase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- ASIO SDK types (layouts as in asio.h; long is 32-bit on Windows) ---- */
typedef long ASIOBool;
typedef long ASIOError;
typedef long ASIOSampleType;
typedef double ASIOSampleRate;
typedef struct { unsigned long hi, lo; } ASIOSamples;
typedef struct { unsigned long hi, lo; } ASIOTimeStamp;
enum { ASE_OK = 0, ASE_SUCCESS = 0x3f4847a0, ASE_NotPresent = -1000, ASE_HWMalfunction, ASE_InvalidParameter,
       ASE_InvalidMode, ASE_SPNotAdvancing, ASE_NoClock, ASE_NoMemory };
enum { ASIOSTInt16LSB = 16, ASIOSTInt24LSB = 17, ASIOSTInt32LSB = 18, ASIOSTFloat32LSB = 19 };
enum { kAsioSelectorSupported = 1, kAsioEngineVersion, kAsioResetRequest, kAsioBufferSizeChange, kAsioResyncRequest,
       kAsioLatenciesChanged, kAsioSupportsTimeInfo, kAsioSupportsTimeCode };
typedef struct { ASIOBool isInput; long channelNum; void *buffers[2]; } ASIOBufferInfo;
typedef struct { long channel; ASIOBool isInput; ASIOBool isActive; long channelGroup; ASIOSampleType type; char name[32]; } ASIOChannelInfo;
typedef struct { long index; long associatedChannel; long associatedGroup; ASIOBool isCurrentSource; char name[32]; } ASIOClockSource;
typedef struct { double speed; ASIOTimeStamp systemTime; ASIOSamples samplePosition; ASIOSampleRate sampleRate; unsigned long flags; char reserved[12]; } AsioTimeInfo;
typedef struct { double speed; ASIOSamples timeCodeSamples; unsigned long flags; char future[64]; } ASIOTimeCode;
typedef struct { long reserved[4]; AsioTimeInfo timeInfo; ASIOTimeCode timeCode; } ASIOTime;
typedef struct {
    void (*bufferSwitch)(long doubleBufferIndex, ASIOBool directProcess);
    void (*sampleRateDidChange)(ASIOSampleRate sRate);
    long (*asioMessage)(long selector, long value, void *message, double *opt);
    ASIOTime *(*bufferSwitchTimeInfo)(ASIOTime *params, long doubleBufferIndex, ASIOBool directProcess);
} ASIOCallbacks;

/* {6F4C2D71-9B1E-4C3A-8E55-3A1D0B5C7E21} */
static const GUID CLSID_LossesTestAsio = { 0x6f4c2d71, 0x9b1e, 0x4c3a, { 0x8e, 0x55, 0x3a, 0x1d, 0x0b, 0x5c, 0x7e, 0x21 } };

#define INPUTS 2
#define OUTPUTS 4
#define MAX_CHANNELS (INPUTS + OUTPUTS)

/* Faults are counted per process: a driver the host re-opens after a reset request remembers them. */
static LONG g_createBuffersCalls;
static LONG g_resetSent;
static LONG g_objects;

typedef struct Driver Driver;
typedef struct {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(Driver *, REFIID, void **);
    ULONG (STDMETHODCALLTYPE *AddRef)(Driver *);
    ULONG (STDMETHODCALLTYPE *Release)(Driver *);
    ASIOBool (*init)(Driver *, void *sysHandle);
    void (*getDriverName)(Driver *, char *name);
    long (*getDriverVersion)(Driver *);
    void (*getErrorMessage)(Driver *, char *string);
    ASIOError (*start)(Driver *);
    ASIOError (*stop)(Driver *);
    ASIOError (*getChannels)(Driver *, long *numInputChannels, long *numOutputChannels);
    ASIOError (*getLatencies)(Driver *, long *inputLatency, long *outputLatency);
    ASIOError (*getBufferSize)(Driver *, long *minSize, long *maxSize, long *preferredSize, long *granularity);
    ASIOError (*canSampleRate)(Driver *, ASIOSampleRate sampleRate);
    ASIOError (*getSampleRate)(Driver *, ASIOSampleRate *sampleRate);
    ASIOError (*setSampleRate)(Driver *, ASIOSampleRate sampleRate);
    ASIOError (*getClockSources)(Driver *, ASIOClockSource *clocks, long *numSources);
    ASIOError (*setClockSource)(Driver *, long reference);
    ASIOError (*getSamplePosition)(Driver *, ASIOSamples *sPos, ASIOTimeStamp *tStamp);
    ASIOError (*getChannelInfo)(Driver *, ASIOChannelInfo *info);
    ASIOError (*createBuffers)(Driver *, ASIOBufferInfo *bufferInfos, long numChannels, long bufferSize, ASIOCallbacks *callbacks);
    ASIOError (*disposeBuffers)(Driver *);
    ASIOError (*controlPanel)(Driver *);
    ASIOError (*future)(Driver *, long selector, void *opt);
    ASIOError (*outputReady)(Driver *);
} DriverVtbl;

struct Driver {
    const DriverVtbl *vtbl;
    LONG refs;
    char error[128];
    /* settings */
    ASIOSampleType type;
    double rate;
    long minSize, maxSize, preferred, granularity;
    int outputReadySupported, timeInfoAllowed;
    long failCreateBuffers, resetAfter, resetPreferred, stopAfter;
    /* buffers */
    int created;
    long size;
    int outputs;               /* output channels the host created, in its order */
    void *outBuffers[MAX_CHANNELS][2];
    void *inBuffers[MAX_CHANNELS][2];
    int inputs;
    ASIOCallbacks callbacks;
    int useTimeInfo;
    /* the clock thread */
    HANDLE thread;
    volatile LONG running;
    volatile LONG64 samplePosition;
    volatile LONG64 switches;
    volatile LONG64 outputReadyCalls;
    volatile LONG inSwitch; /* the host's outputReady counts only from inside a switch (not the SDK's probe before start) */
    LONG64 late;
    ASIOTime time;
    HANDLE capture;
    char capturePath[MAX_PATH];
    char logPath[MAX_PATH];
};

static int SampleBytes(ASIOSampleType t) { return t == ASIOSTInt16LSB ? 2 : t == ASIOSTInt24LSB ? 3 : 4; }

static long EnvLong(const char *name, long fallback)
{
    char value[64];
    DWORD n = GetEnvironmentVariableA(name, value, sizeof value);
    return n > 0 && n < sizeof value ? strtol(value, NULL, 10) : fallback;
}

static void ReadSettings(Driver *d)
{
    char value[128];
    d->type = ASIOSTFloat32LSB;
    if (GetEnvironmentVariableA("LOSSES_ASIO_SAMPLE_TYPE", value, sizeof value) > 0)
    {
        if (!_stricmp(value, "int32")) d->type = ASIOSTInt32LSB;
        else if (!_stricmp(value, "int24")) d->type = ASIOSTInt24LSB;
        else if (!_stricmp(value, "int16")) d->type = ASIOSTInt16LSB;
    }
    d->rate = (double)EnvLong("LOSSES_ASIO_RATE", 48000);
    d->minSize = 32; d->maxSize = 2048; d->preferred = 64; d->granularity = -1;
    if (GetEnvironmentVariableA("LOSSES_ASIO_BUFFER", value, sizeof value) > 0)
        sscanf(value, "%ld,%ld,%ld,%ld", &d->minSize, &d->maxSize, &d->preferred, &d->granularity);
    d->outputReadySupported = EnvLong("LOSSES_ASIO_OUTPUT_READY", 1) != 0;
    d->timeInfoAllowed = EnvLong("LOSSES_ASIO_TIME_INFO", 1) != 0;
    d->failCreateBuffers = EnvLong("LOSSES_ASIO_FAIL_CREATEBUFFERS", 0);
    d->resetAfter = EnvLong("LOSSES_ASIO_RESET_AFTER", 0);
    d->resetPreferred = EnvLong("LOSSES_ASIO_RESET_PREFERRED", 0);
    d->stopAfter = EnvLong("LOSSES_ASIO_STOP_AFTER", 0);
    if (g_resetSent && d->resetPreferred > 0) d->preferred = d->resetPreferred; /* the "control panel" setting */
    d->capturePath[0] = d->logPath[0] = 0;
    GetEnvironmentVariableA("LOSSES_ASIO_CAPTURE", d->capturePath, sizeof d->capturePath);
    GetEnvironmentVariableA("LOSSES_ASIO_LOG", d->logPath, sizeof d->logPath);
}

/* ---- IUnknown ---- */
static HRESULT STDMETHODCALLTYPE DriverQueryInterface(Driver *d, REFIID riid, void **out)
{
    /* ASIO hosts ask for the driver's CLSID as the interface id. */
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &CLSID_LossesTestAsio))
    {
        *out = d;
        InterlockedIncrement(&d->refs);
        return S_OK;
    }
    *out = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE DriverAddRef(Driver *d) { return InterlockedIncrement(&d->refs); }

static ASIOError DriverDisposeBuffers(Driver *d);

static ULONG STDMETHODCALLTYPE DriverRelease(Driver *d)
{
    LONG refs = InterlockedDecrement(&d->refs);
    if (refs == 0)
    {
        DriverDisposeBuffers(d);
        free(d);
        InterlockedDecrement(&g_objects);
    }
    return refs;
}

/* ---- IASIO ---- */
static ASIOBool DriverInit(Driver *d, void *sysHandle)
{
    (void)sysHandle;
    ReadSettings(d);
    return 1;
}

static void DriverGetDriverName(Driver *d, char *name) { (void)d; strcpy(name, "Losses Test ASIO"); }
static long DriverGetDriverVersion(Driver *d) { (void)d; return 1; }
static void DriverGetErrorMessage(Driver *d, char *string) { strcpy(string, d->error); }

/* Waits until a point of QueryPerformanceCounter: NtDelayExecution sleeps to 100 ns, finer than Sleep's milliseconds. */
typedef LONG (NTAPI *NtDelayExecutionFn)(BOOLEAN, PLARGE_INTEGER);
static NtDelayExecutionFn g_delay;

static void WaitUntil(LONGLONG deadline, LONGLONG frequency)
{
    for (;;)
    {
        LARGE_INTEGER now;
        QueryPerformanceCounter(&now);
        LONGLONG left = deadline - now.QuadPart;
        if (left <= 0) return;
        LARGE_INTEGER interval;
        interval.QuadPart = -(LONGLONG)((double)left * 1e7 / (double)frequency); /* negative: relative, 100 ns units */
        if (g_delay) g_delay(FALSE, &interval); else Sleep(0);
    }
}

static void Capture(Driver *d, long index)
{
    if (d->capture == INVALID_HANDLE_VALUE) return;
    int header[3] = { (int)d->size, d->outputs, (int)d->type };
    DWORD written;
    WriteFile(d->capture, header, sizeof header, &written, NULL);
    for (int c = 0; c < d->outputs; c++)
        WriteFile(d->capture, d->outBuffers[c][index], (DWORD)(d->size * SampleBytes(d->type)), &written, NULL);
}

static DWORD WINAPI ClockThread(void *arg)
{
    Driver *d = arg;
    LARGE_INTEGER frequency, start;
    QueryPerformanceFrequency(&frequency);
    QueryPerformanceCounter(&start);
    double period = (double)d->size / d->rate * (double)frequency.QuadPart;
    double next = (double)start.QuadPart;
    long index = 0;
    while (d->running)
    {
        if (d->stopAfter > 0 && d->switches >= d->stopAfter) { Sleep(5); continue; } /* unplugged: silence */
        if (d->resetAfter > 0 && d->switches == d->resetAfter && InterlockedCompareExchange(&g_resetSent, 1, 0) == 0)
            d->callbacks.asioMessage(kAsioResetRequest, 0, NULL, NULL);
        next += period;
        LARGE_INTEGER now;
        QueryPerformanceCounter(&now);
        if ((double)now.QuadPart > next + period) { d->late++; next = (double)now.QuadPart; } /* the host fell behind: no burst */
        WaitUntil((LONGLONG)next, frequency.QuadPart);
        if (!d->running) break;
        d->inSwitch = 1;
        if (d->useTimeInfo)
        {
            memset(&d->time, 0, sizeof d->time);
            d->time.timeInfo.speed = 1.0;
            d->time.timeInfo.sampleRate = d->rate;
            d->time.timeInfo.samplePosition.lo = (unsigned long)(d->samplePosition & 0xFFFFFFFF);
            d->time.timeInfo.samplePosition.hi = (unsigned long)(d->samplePosition >> 32);
            d->time.timeInfo.flags = 0x7; /* system time, sample position, sample rate valid */
            d->callbacks.bufferSwitchTimeInfo(&d->time, index, 1);
        }
        else
        {
            d->callbacks.bufferSwitch(index, 1);
        }
        d->inSwitch = 0;
        Capture(d, index);
        d->samplePosition += d->size;
        d->switches++;
        index ^= 1;
    }
    return 0;
}

static ASIOError DriverStart(Driver *d)
{
    if (!d->created) { strcpy(d->error, "start before createBuffers"); return ASE_InvalidMode; }
    if (d->running) return ASE_OK;
    d->running = 1;
    d->thread = CreateThread(NULL, 0, ClockThread, d, 0, NULL);
    if (!d->thread) { d->running = 0; strcpy(d->error, "could not start the clock thread"); return ASE_HWMalfunction; }
    SetThreadPriority(d->thread, THREAD_PRIORITY_TIME_CRITICAL);
    return ASE_OK;
}

static ASIOError DriverStop(Driver *d)
{
    if (!d->running) return ASE_OK;
    d->running = 0;
    WaitForSingleObject(d->thread, INFINITE);
    CloseHandle(d->thread);
    d->thread = NULL;
    return ASE_OK;
}

static ASIOError DriverGetChannels(Driver *d, long *in, long *out) { (void)d; *in = INPUTS; *out = OUTPUTS; return ASE_OK; }

static ASIOError DriverGetLatencies(Driver *d, long *in, long *out)
{
    long size = d->created ? d->size : d->preferred;
    *in = size; *out = 2 * size;
    return ASE_OK;
}

static ASIOError DriverGetBufferSize(Driver *d, long *minSize, long *maxSize, long *preferred, long *granularity)
{
    *minSize = d->minSize; *maxSize = d->maxSize; *preferred = d->preferred; *granularity = d->granularity;
    return ASE_OK;
}

static ASIOError DriverCanSampleRate(Driver *d, ASIOSampleRate rate) { return rate == d->rate ? ASE_OK : ASE_NoClock; }
static ASIOError DriverGetSampleRate(Driver *d, ASIOSampleRate *rate) { *rate = d->rate; return ASE_OK; }
static ASIOError DriverSetSampleRate(Driver *d, ASIOSampleRate rate) { return rate == d->rate || rate == 0 ? ASE_OK : ASE_NoClock; }

static ASIOError DriverGetClockSources(Driver *d, ASIOClockSource *clocks, long *numSources)
{
    (void)d;
    if (*numSources < 1) return ASE_InvalidParameter;
    memset(clocks, 0, sizeof *clocks);
    clocks->associatedChannel = -1;
    clocks->associatedGroup = -1;
    clocks->isCurrentSource = 1;
    strcpy(clocks->name, "Internal");
    *numSources = 1;
    return ASE_OK;
}

static ASIOError DriverSetClockSource(Driver *d, long reference) { (void)d; return reference == 0 ? ASE_OK : ASE_InvalidParameter; }

static ASIOError DriverGetSamplePosition(Driver *d, ASIOSamples *pos, ASIOTimeStamp *stamp)
{
    LONG64 p = d->samplePosition;
    pos->hi = (unsigned long)(p >> 32); pos->lo = (unsigned long)(p & 0xFFFFFFFF);
    LONG64 ns = (LONG64)((double)p / d->rate * 1e9);
    stamp->hi = (unsigned long)(ns >> 32); stamp->lo = (unsigned long)(ns & 0xFFFFFFFF);
    return ASE_OK;
}

static ASIOError DriverGetChannelInfo(Driver *d, ASIOChannelInfo *info)
{
    int count = info->isInput ? INPUTS : OUTPUTS;
    if (info->channel < 0 || info->channel >= count) return ASE_InvalidParameter;
    info->isActive = d->created;
    info->channelGroup = 0;
    info->type = d->type;
    snprintf(info->name, sizeof info->name, "%s %ld", info->isInput ? "In" : "Out", info->channel + 1);
    return ASE_OK;
}

static int SizeAllowed(Driver *d, long size)
{
    if (size < d->minSize || size > d->maxSize) return 0;
    if (d->granularity == -1) return (size & (size - 1)) == 0;
    if (d->granularity > 0) return (size - d->minSize) % d->granularity == 0;
    return size == d->preferred;
}

static ASIOError DriverCreateBuffers(Driver *d, ASIOBufferInfo *infos, long numChannels, long bufferSize, ASIOCallbacks *callbacks)
{
    LONG call = InterlockedIncrement(&g_createBuffersCalls);
    if (d->created) { strcpy(d->error, "buffers already created"); return ASE_InvalidMode; }
    if (d->failCreateBuffers > 0 && call == d->failCreateBuffers)
    {
        strcpy(d->error, "test fault: createBuffers fails");
        return ASE_HWMalfunction;
    }
    if (!SizeAllowed(d, bufferSize))
    {
        snprintf(d->error, sizeof d->error, "buffer size %ld not allowed (%ld..%ld, granularity %ld)", bufferSize, d->minSize, d->maxSize, d->granularity);
        return ASE_InvalidParameter;
    }
    if (numChannels < 1 || numChannels > MAX_CHANNELS || !callbacks || !callbacks->bufferSwitch) return ASE_InvalidParameter;
    d->inputs = d->outputs = 0;
    for (long i = 0; i < numChannels; i++)
    {
        int input = infos[i].isInput != 0;
        if (infos[i].channelNum < 0 || infos[i].channelNum >= (input ? INPUTS : OUTPUTS)) return ASE_InvalidParameter;
        for (int b = 0; b < 2; b++)
        {
            infos[i].buffers[b] = calloc((size_t)bufferSize, (size_t)SampleBytes(d->type));
            if (input) d->inBuffers[d->inputs][b] = infos[i].buffers[b];
            else d->outBuffers[d->outputs][b] = infos[i].buffers[b];
        }
        if (input) d->inputs++; else d->outputs++;
    }
    d->size = bufferSize;
    d->callbacks = *callbacks;
    d->useTimeInfo = d->timeInfoAllowed && callbacks->bufferSwitchTimeInfo
        && callbacks->asioMessage && callbacks->asioMessage(kAsioSupportsTimeInfo, 0, NULL, NULL) == 1;
    /* What a real driver asks before it relies on a message. */
    if (callbacks->asioMessage)
    {
        callbacks->asioMessage(kAsioSelectorSupported, kAsioResetRequest, NULL, NULL);
        callbacks->asioMessage(kAsioSelectorSupported, kAsioBufferSizeChange, NULL, NULL);
        callbacks->asioMessage(kAsioEngineVersion, 0, NULL, NULL);
    }
    d->capture = INVALID_HANDLE_VALUE;
    if (d->capturePath[0])
    {
        d->capture = CreateFileA(d->capturePath, FILE_APPEND_DATA, FILE_SHARE_READ, NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
        if (d->capture != INVALID_HANDLE_VALUE) SetFilePointer(d->capture, 0, NULL, FILE_END);
    }
    d->switches = 0;
    d->outputReadyCalls = 0;
    d->late = 0;
    d->created = 1;
    return ASE_OK;
}

static ASIOError DriverDisposeBuffers(Driver *d)
{
    if (!d->created) return ASE_InvalidMode;
    DriverStop(d);
    if (d->logPath[0])
    {
        FILE *log = fopen(d->logPath, "a");
        if (log)
        {
            fprintf(log, "buffer %ld type %ld switches %lld outputReady %lld late %lld timeInfo %d\n", d->size, d->type,
                (long long)d->switches, (long long)d->outputReadyCalls, (long long)d->late, d->useTimeInfo);
            fclose(log);
        }
    }
    if (d->capture != INVALID_HANDLE_VALUE) CloseHandle(d->capture);
    d->capture = INVALID_HANDLE_VALUE;
    for (int c = 0; c < d->outputs; c++) for (int b = 0; b < 2; b++) free(d->outBuffers[c][b]);
    for (int c = 0; c < d->inputs; c++) for (int b = 0; b < 2; b++) free(d->inBuffers[c][b]);
    d->inputs = d->outputs = 0;
    d->created = 0;
    return ASE_OK;
}

static ASIOError DriverControlPanel(Driver *d) { (void)d; return ASE_OK; }
static ASIOError DriverFuture(Driver *d, long selector, void *opt) { (void)d; (void)selector; (void)opt; return ASE_InvalidParameter; }

static ASIOError DriverOutputReady(Driver *d)
{
    if (!d->outputReadySupported) return ASE_NotPresent;
    /* Not `running`: a stop that lands during a switch would drop that switch's outputReady but not the switch. */
    if (d->inSwitch) d->outputReadyCalls++;
    return ASE_OK;
}

static const DriverVtbl g_driverVtbl = {
    DriverQueryInterface, DriverAddRef, DriverRelease,
    DriverInit, DriverGetDriverName, DriverGetDriverVersion, DriverGetErrorMessage, DriverStart, DriverStop,
    DriverGetChannels, DriverGetLatencies, DriverGetBufferSize, DriverCanSampleRate, DriverGetSampleRate,
    DriverSetSampleRate, DriverGetClockSources, DriverSetClockSource, DriverGetSamplePosition, DriverGetChannelInfo,
    DriverCreateBuffers, DriverDisposeBuffers, DriverControlPanel, DriverFuture, DriverOutputReady,
};

/* ---- class factory ---- */
static HRESULT STDMETHODCALLTYPE FactoryQueryInterface(IClassFactory *f, REFIID riid, void **out)
{
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IClassFactory)) { *out = f; return S_OK; }
    *out = NULL;
    return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE FactoryAddRef(IClassFactory *f) { (void)f; return 2; }
static ULONG STDMETHODCALLTYPE FactoryRelease(IClassFactory *f) { (void)f; return 1; }

static HRESULT STDMETHODCALLTYPE FactoryCreateInstance(IClassFactory *f, IUnknown *outer, REFIID riid, void **out)
{
    (void)f;
    *out = NULL;
    if (outer) return CLASS_E_NOAGGREGATION;
    Driver *d = calloc(1, sizeof *d);
    if (!d) return E_OUTOFMEMORY;
    d->vtbl = &g_driverVtbl;
    d->capture = INVALID_HANDLE_VALUE;
    InterlockedIncrement(&g_objects);
    ReadSettings(d);
    HRESULT hr = DriverQueryInterface(d, riid, out);
    if (FAILED(hr)) { free(d); InterlockedDecrement(&g_objects); }
    return hr;
}

static HRESULT STDMETHODCALLTYPE FactoryLockServer(IClassFactory *f, BOOL lock) { (void)f; (void)lock; return S_OK; }

static IClassFactoryVtbl g_factoryVtbl = { FactoryQueryInterface, FactoryAddRef, FactoryRelease, FactoryCreateInstance, FactoryLockServer };
static IClassFactory g_factory = { &g_factoryVtbl };

HRESULT WINAPI DllGetClassObject(REFCLSID clsid, REFIID riid, void **out)
{
    if (!g_delay) g_delay = (NtDelayExecutionFn)(void *)GetProcAddress(GetModuleHandleA("ntdll.dll"), "NtDelayExecution");
    if (!IsEqualGUID(clsid, &CLSID_LossesTestAsio)) { *out = NULL; return CLASS_E_CLASSNOTAVAILABLE; }
    return FactoryQueryInterface(&g_factory, riid, out);
}

/* Never unloaded: the fault counters live as long as the process. */
HRESULT WINAPI DllCanUnloadNow(void) { return S_FALSE; }
