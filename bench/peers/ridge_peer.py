"""Ridge brain scores with a Python peer, for `npm run bench -- ridge-peers`.

usage: ridge_peer.py SOLVER X.npy Y.npy V OUT_R.npy ALPHAS_JSON

SOLVER: himalaya-kernel (himalaya KernelRidgeCV, linear kernel), himalaya-primal (himalaya RidgeCV),
sklearn (scikit-learn RidgeCV(alpha_per_target=True), efficient LOO). Per contiguous outer fold (5, no
shuffle): standardise X and Y with the training rows (ddof 0), fit, predict the held-out rows, Pearson r.
himalaya runs on its numpy backend in the data's float32 with its default inner cv (5 KFold splits);
scikit-learn casts to float64 (its RidgeCV always does). Prints one JSON line: seconds (the outer loop only),
peak RSS, versions and the BLAS kernel in use (threadpoolctl), so a run with a slowed BLAS shows it.
"""
import json
import resource
import sys
import time

import numpy as np
from sklearn.model_selection import KFold
from threadpoolctl import threadpool_info

solver, xf, yf, v, out, alphas = sys.argv[1:7]
alphas = np.array(json.loads(alphas), dtype=np.float64)
X = np.load(xf)
Y = np.load(yf, mmap_mode="r")[:, : int(v)]
Y = np.ascontiguousarray(Y)

if solver.startswith("himalaya"):
    import himalaya
    from himalaya.backend import set_backend

    set_backend("numpy")
    from himalaya.kernel_ridge import KernelRidgeCV
    from himalaya.ridge import RidgeCV as HimalayaRidgeCV

    version = "himalaya " + himalaya.__version__

    def make():
        if solver == "himalaya-kernel":
            return KernelRidgeCV(alphas=alphas.astype(X.dtype), kernel="linear", cv=5)
        return HimalayaRidgeCV(alphas=alphas.astype(X.dtype), cv=5)
else:
    import sklearn
    from sklearn.linear_model import RidgeCV

    version = "scikit-learn " + sklearn.__version__
    X = X.astype(np.float64)
    Y = Y.astype(np.float64)

    def make():
        return RidgeCV(alphas=alphas, alpha_per_target=True, fit_intercept=True)

t = time.perf_counter()
r = np.zeros((5, Y.shape[1]))
for k, (tr, te) in enumerate(KFold(5, shuffle=False).split(X)):
    mx, sx = X[tr].mean(0), X[tr].std(0)
    sx[sx == 0] = 1
    my, sy = Y[tr].mean(0), Y[tr].std(0)
    sy[sy == 0] = 1
    m = make().fit((X[tr] - mx) / sx, (Y[tr] - my) / sy)
    p = np.asarray(m.predict((X[te] - mx) / sx), dtype=np.float64)
    yt = (Y[te] - my) / sy
    yt = yt - yt.mean(0)
    p = p - p.mean(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r[k] = (yt * p).sum(0) / np.sqrt((yt**2).sum(0) * (p**2).sum(0))
seconds = time.perf_counter() - t
np.save(out, r.mean(0))
blas = [f"{i['internal_api']} {i['version']} {i.get('architecture')} ({i['num_threads']} threads)" for i in threadpool_info() if i["user_api"] == "blas"]
print(json.dumps({
    "seconds": seconds,
    "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    "version": version,
    "numpy": np.__version__,
    "dtype": str(X.dtype),
    "blas": blas,
}))
