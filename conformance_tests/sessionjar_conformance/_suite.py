"""The aggregate test classes: every behaviour class of the suite, composed."""

# ruff: noqa: F403, F405
from __future__ import annotations

from sessionjar_conformance.fixtures import *
from sessionjar_conformance.fixtures_async import *
from sessionjar_conformance.test_atomicity import *
from sessionjar_conformance.test_atomicity_async import *
from sessionjar_conformance.test_bad_input import *
from sessionjar_conformance.test_bad_input_async import *
from sessionjar_conformance.test_cleanup import *
from sessionjar_conformance.test_cleanup_async import *
from sessionjar_conformance.test_concurrency import *
from sessionjar_conformance.test_concurrency_async import *
from sessionjar_conformance.test_copies import *
from sessionjar_conformance.test_copies_async import *
from sessionjar_conformance.test_create import *
from sessionjar_conformance.test_create_async import *
from sessionjar_conformance.test_delete import *
from sessionjar_conformance.test_delete_async import *
from sessionjar_conformance.test_devices import *
from sessionjar_conformance.test_devices_async import *
from sessionjar_conformance.test_exact_matching import *
from sessionjar_conformance.test_exact_matching_async import *
from sessionjar_conformance.test_expiry import *
from sessionjar_conformance.test_expiry_async import *
from sessionjar_conformance.test_faults import *
from sessionjar_conformance.test_faults_async import *
from sessionjar_conformance.test_isolation import *
from sessionjar_conformance.test_isolation_async import *
from sessionjar_conformance.test_listing import *
from sessionjar_conformance.test_listing_async import *
from sessionjar_conformance.test_liveness import *
from sessionjar_conformance.test_liveness_async import *
from sessionjar_conformance.test_network_faults import *
from sessionjar_conformance.test_network_faults_async import *
from sessionjar_conformance.test_read import *
from sessionjar_conformance.test_read_async import *
from sessionjar_conformance.test_rotation import *
from sessionjar_conformance.test_rotation_async import *
from sessionjar_conformance.test_serialization import *
from sessionjar_conformance.test_serialization_async import *
from sessionjar_conformance.test_session_api import *
from sessionjar_conformance.test_session_api_async import *
from sessionjar_conformance.test_signing_keys import *
from sessionjar_conformance.test_signing_keys_async import *
from sessionjar_conformance.test_theft import *
from sessionjar_conformance.test_theft_async import *
from sessionjar_conformance.test_times import *
from sessionjar_conformance.test_times_async import *
from sessionjar_conformance.test_update import *
from sessionjar_conformance.test_update_async import *
from sessionjar_conformance.test_user_sessions import *
from sessionjar_conformance.test_user_sessions_async import *

__all__ = ["AsyncStoreConformance", "StoreConformance"]


class AsyncStoreConformance(
    AsyncCreateTests,
    AsyncCreateIsInsertOnlyTests,
    AsyncGetTests,
    AsyncIsLiveTests,
    AsyncIsLiveBadInputTests,
    AsyncCheckedVerifyTests,
    AsyncUpdateTests,
    AsyncUpdateIsUpdateOnlyTests,
    AsyncCompareAndSetTests,
    AsyncRefreshHashConditionTests,
    AsyncDeadlineRuleTests,
    AsyncDeleteTests,
    AsyncDeleteForUserTests,
    AsyncListForUserTests,
    AsyncDeleteExpiredTests,
    AsyncExpiryOnReadTests,
    AsyncSlidingExpiryTests,
    AsyncAbsoluteDeadlineTests,
    AsyncSigningKeyStorageTests,
    AsyncSigningKeyRaceTests,
    AsyncAutomaticKeysTests,
    AsyncSessionLifecycleTests,
    AsyncManagerApiTests,
    AsyncRotationTests,
    AsyncGraceWindowTests,
    AsyncTheftDetectionTests,
    AsyncNamespaceIsolationTests,
    AsyncTenantIsolationTests,
    AsyncUserIsolationTests,
    AsyncStoreRoundTripTests,
    AsyncPropertyRoundTripTests,
    AsyncManagerRoundTripTests,
    AsyncUnserializableTests,
    AsyncBadTokenTests,
    AsyncBadHandleTests,
    AsyncLiteralMatchingTests,
    AsyncParallelRefreshTests,
    AsyncLogoutRaceTests,
    AsyncParallelCreateTests,
    AsyncParallelUpdateTests,
    AsyncUnreachableStoreTests,
    AsyncFailClosedTests,
    AsyncClosedStoreTests,
    AsyncNetworkFaultTests,
    AsyncExactIdentifierTests,
    AsyncNamespaceReachTests,
    AsyncCopiesInTests,
    AsyncCopiesOutTests,
    AsyncTimeFidelityTests,
    AsyncSessionExpiryBoundaryTests,
    AsyncSigningKeyExpiryBoundaryTests,
    AsyncAtomicCreateTests,
    AsyncAtomicUpdateTests,
    AsyncAtomicDeleteTests,
    AsyncAtomicSigningKeyTests,
    AsyncDeviceRoundTripTests,
    AsyncDeviceCopiesTests,
    AsyncListSessionsForUserTests,
    AsyncListSessionsMatchingTests,
    AsyncDeleteExpiredLimitTests,
    AsyncRacingCleanupTests,
    AsyncConformanceBase,
):
    """The whole suite against an `sessionjar.AsyncStore`; subclass it to test a driver."""


class StoreConformance(
    CreateTests,
    CreateIsInsertOnlyTests,
    GetTests,
    IsLiveTests,
    IsLiveBadInputTests,
    CheckedVerifyTests,
    UpdateTests,
    UpdateIsUpdateOnlyTests,
    CompareAndSetTests,
    RefreshHashConditionTests,
    DeadlineRuleTests,
    DeleteTests,
    DeleteForUserTests,
    ListForUserTests,
    DeleteExpiredTests,
    ExpiryOnReadTests,
    SlidingExpiryTests,
    AbsoluteDeadlineTests,
    SigningKeyStorageTests,
    SigningKeyRaceTests,
    AutomaticKeysTests,
    SessionLifecycleTests,
    ManagerApiTests,
    RotationTests,
    GraceWindowTests,
    TheftDetectionTests,
    NamespaceIsolationTests,
    TenantIsolationTests,
    UserIsolationTests,
    StoreRoundTripTests,
    PropertyRoundTripTests,
    ManagerRoundTripTests,
    UnserializableTests,
    BadTokenTests,
    BadHandleTests,
    LiteralMatchingTests,
    ParallelRefreshTests,
    LogoutRaceTests,
    ParallelCreateTests,
    ParallelUpdateTests,
    UnreachableStoreTests,
    FailClosedTests,
    ClosedStoreTests,
    NetworkFaultTests,
    ExactIdentifierTests,
    NamespaceReachTests,
    CopiesInTests,
    CopiesOutTests,
    TimeFidelityTests,
    SessionExpiryBoundaryTests,
    SigningKeyExpiryBoundaryTests,
    AtomicCreateTests,
    AtomicUpdateTests,
    AtomicDeleteTests,
    AtomicSigningKeyTests,
    DeviceRoundTripTests,
    DeviceCopiesTests,
    ListSessionsForUserTests,
    ListSessionsMatchingTests,
    DeleteExpiredLimitTests,
    RacingCleanupTests,
    ConformanceBase,
):
    """The whole suite against a `sessionjar.Store`; subclass it to test a driver."""
